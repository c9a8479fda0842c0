#!/bin/sh
# HTTPS for customers' autoconfig.D and autodiscover.D names: certificates from Let's Encrypt
# (Debian's certbot, http-01 through the autoconfig site's /.well-known/acme-challenge/) for
# every name `autoconfig certificates --customers-only` lists, in batches of at most 100 names
# per certificate, and one nginx server block per certificate. Run it daily from cron or a
# systemd timer, after adding customer domains; certbot renews by itself (certbot.timer) and
# this script only asks for what is new. Names whose DNS does not point here yet fail their
# challenge: certbot reports them and the batch is retried on the next run.
#
# Environment (defaults in brackets): AUTOCONFIG [autoconfig], CERTBOT [certbot],
# WEBROOT [/var/www/autoconfig-acme], OUT [/etc/nginx/autoconfig-customers],
# LIVE [/etc/letsencrypt/live], BATCH [100], CHECK [nginx -t -q], RELOAD [systemctl reload nginx].
set -eu

AUTOCONFIG=${AUTOCONFIG:-autoconfig}
CERTBOT=${CERTBOT:-certbot}
WEBROOT=${WEBROOT:-/var/www/autoconfig-acme}
OUT=${OUT:-/etc/nginx/autoconfig-customers}
LIVE=${LIVE:-/etc/letsencrypt/live}
BATCH=${BATCH:-100}
CHECK=${CHECK:-nginx -t -q}
RELOAD=${RELOAD:-systemctl reload nginx}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$WEBROOT" "$OUT"

$AUTOCONFIG certificates --customers-only >"$work/all"  # reads AUTOCONFIG_CONFIG, like the service
sort -u "$work/all" >"$work/names"
split -l "$BATCH" -d -a 3 "$work/names" "$work/batch-"

for batch in "$work"/batch-*; do
    [ -s "$batch" ] || continue
    cert="autoconfig-customers-${batch##*-}"
    # shellcheck disable=SC2046  # one -d per name
    if ! $CERTBOT certonly --non-interactive --agree-tos --keep-until-expiring --expand \
        --webroot -w "$WEBROOT" --cert-name "$cert" $(sed 's/^/-d /' "$batch"); then
        echo "certbot failed for $cert; its names stay on plain HTTP until the next run" >&2
        continue
    fi
    {
        echo "# Written by autoconfig-certificates.sh: HTTPS for these customer names."
        echo "server {"
        echo "    listen 443 ssl http2;"
        echo "    listen [::]:443 ssl http2;"
        printf '    server_name'
        tr '\n' ' ' <"$batch" | sed 's/ $//; s/^/ /'
        echo ";"
        echo "    server_tokens off;"
        echo "    ssl_certificate $LIVE/$cert/fullchain.pem;"
        echo "    ssl_certificate_key $LIVE/$cert/privkey.pem;"
        echo "    ssl_protocols TLSv1.2 TLSv1.3;"
        echo "    client_max_body_size 64k;"
        echo "    location / {"
        echo "        include snippets/autoconfig-proxy.conf;"
        echo "    }"
        echo "}"
    } >"$work/$cert.conf"
    mv "$work/$cert.conf" "$OUT/$cert.conf"
done

$CHECK && $RELOAD
