#!/usr/bin/env bash
# Write the domains Postfix receives mail for as autoconfig's `domains_file`: one domain a line.
#
#   domains-from-postfix.sh OUTPUT [PARAMETER ...]
#
# PARAMETER defaults to virtual_mailbox_domains. Each value may list domains, "/file/name"
# entries (read as Postfix reads them) and "type:table" lookup tables (their keys, through
# `postmap -s`; tables Postfix cannot list, such as mysql: or pgsql:, stop the script with an
# error). POSTFIX_CONFIG names another Postfix configuration directory. The output is
# replaced atomically and only when every source was read, so autoconfig (which re-reads the
# file when it changes) never sees half a list.
set -euo pipefail

out=${1:?usage: domains-from-postfix.sh OUTPUT [PARAMETER ...]}
shift
[ $# -gt 0 ] || set -- virtual_mailbox_domains
conf=()
[ -z "${POSTFIX_CONFIG:-}" ] || conf=(-c "$POSTFIX_CONFIG")

entries() {
    local param
    for param in "$@"; do
        postconf "${conf[@]}" -xh "$param" | tr ', \t' '\n\n\n'
    done
}

domains() {
    local entry
    while read -r entry; do
        case $entry in
            "") ;;
            /*) sed -e 's/#.*//' "$entry" | tr ', \t' '\n\n\n' ;;
            *:*) postmap "${conf[@]}" -s "$entry" | awk '{ print $1 }' ;;
            *) printf '%s\n' "$entry" ;;
        esac
    done
}

listed=$(entries "$@")
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
domains <<< "$listed" | tr 'A-Z' 'a-z' | grep -v '^$' | sort -u > "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "$(wc -l < "$out") domains written to $out"
