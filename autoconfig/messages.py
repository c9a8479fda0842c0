"""Outcome code → words, in Italian and English: the one catalogue the API, CLI and page use.

Each entry holds a message and (for problems) a remedy per language. Texts may use
`{name}` fields filled from a result's parameters; a missing parameter leaves the field as is.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class Text:
    message: str
    remedy: str | None = None


# code → {lang → Text}. Probes, DNS health and advice each add their codes here.
CATALOGUE: Mapping[str, Mapping[str, Text]] = {
    # DNS: the health of a customer domain's records (autoconfig/dnshealth.py)
    "dns.mx_ok": {
        "it": Text("I record MX di {domain} puntano ai nostri server di posta ({found})."),
        "en": Text("The MX records of {domain} point at our mail servers ({found})."),
    },
    "dns.mx_missing": {
        "it": Text(
            "Il dominio {domain} non ha record MX: la posta inviata a questo dominio non arriva da noi.",
            "Pubblica nella zona DNS del dominio i record MX indicati tra le righe di zona ({expected}); "
            "se il DNS è gestito altrove, chiedilo a chi lo gestisce.",
        ),
        "en": Text(
            "The domain {domain} has no MX records: mail sent to this domain does not reach us.",
            "Publish the MX records shown in the zone lines ({expected}) in the domain's DNS zone; if "
            "someone else runs the DNS, ask them to.",
        ),
    },
    "dns.mx_null": {
        "it": Text(
            "Il dominio {domain} dichiara di non ricevere posta (record MX nullo «0 .»).",
            "Sostituisci il record MX nullo con i record MX indicati tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The domain {domain} declares that it accepts no mail (a null MX record, “0 .”).",
            "Replace the null MX record with the MX records shown in the zone lines ({expected}).",
        ),
    },
    "dns.mx_foreign": {
        "it": Text(
            "I record MX di {domain} puntano a un altro fornitore ({foreign}): la posta del cliente "
            "viene consegnata lì, non nella casella da noi.",
            "Se il cliente vuole ricevere la posta da noi, sostituisci i record MX con quelli indicati "
            "({expected}); se la posta resta dall'altro fornitore, la configurazione da noi è inutile.",
        ),
        "en": Text(
            "The MX records of {domain} point at another provider ({foreign}): the customer's mail is "
            "delivered there, not to the mailbox with us.",
            "If the customer wants their mail with us, replace the MX records with the ones shown "
            "({expected}); if the mail stays with the other provider, our settings do not apply.",
        ),
    },
    "dns.mx_mixed": {
        "it": Text(
            "I record MX principali di {domain} puntano a noi, ma alcuni di riserva puntano altrove "
            "({foreign}): quando i nostri server sono occupati, parte della posta può finire lì.",
            "Togli i record MX che non sono nostri, a meno che non siano un servizio di riserva "
            "voluto che inoltra la posta a noi.",
        ),
        "en": Text(
            "The main MX records of {domain} point at us, but some backup ones point elsewhere "
            "({foreign}): when our servers are busy, some mail may land there.",
            "Remove the MX records that are not ours, unless they are a deliberate backup service "
            "that forwards the mail to us.",
        ),
    },
    "dns.mx_unchecked": {
        "it": Text(
            "Il dominio {domain} ha record MX ({found}); la configurazione non indica quali server MX "
            "sono nostri, quindi non è possibile dire se puntano a noi."
        ),
        "en": Text(
            "The domain {domain} has MX records ({found}); the configuration does not name our MX "
            "hosts, so whether they point at us cannot be told."
        ),
    },
    "dns.srv_ok": {
        "it": Text("Il record SRV {name} è corretto ({found})."),
        "en": Text("The SRV record {name} is right ({found})."),
    },
    "dns.srv_missing": {
        "it": Text(
            "Manca il record SRV {name}. È facoltativo, ma alcuni programmi di posta (Apple Mail, "
            "KMail) lo usano per configurarsi da soli.",
            "Pubblica il record SRV indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The SRV record {name} is missing. It is optional, but some mail clients (Apple Mail, "
            "KMail) use it to set themselves up.",
            "Publish the SRV record shown in the zone lines ({expected}).",
        ),
    },
    "dns.srv_mismatch": {
        "it": Text(
            "Il record SRV {name} indica {found}, ma i nostri server sono {expected}: i programmi che "
            "lo seguono vengono configurati con il server sbagliato.",
            "Correggi il record SRV come indicato tra le righe di zona ({expected}), oppure "
            "cancellalo; spesso è un resto del fornitore precedente.",
        ),
        "en": Text(
            "The SRV record {name} says {found}, but our servers are {expected}: clients that follow "
            "it are set up with the wrong server.",
            "Correct the SRV record as shown in the zone lines ({expected}), or delete it; it is "
            "often left over from the previous provider.",
        ),
    },
    "dns.srv_not_offered": {
        "it": Text(
            "Il servizio {service} non è offerto e il record SRV {name} non c'è: va bene così.",
            "Facoltativo: pubblica «0 0 0 .» per dire ai programmi di posta che il servizio non c'è.",
        ),
        "en": Text(
            "The service {service} is not offered and there is no SRV record {name}: that is fine.",
            "Optional: publish “0 0 0 .” to tell mail clients that the service is not offered.",
        ),
    },
    "dns.autoconfig_ok": {
        "it": Text("Il nome {name} raggiunge il servizio di configurazione automatica ({found})."),
        "en": Text("The name {name} reaches the automatic setup service ({found})."),
    },
    "dns.autoconfig_missing": {
        "it": Text(
            "Il nome {name} non esiste: Thunderbird e altri programmi non trovano da soli le "
            "impostazioni della casella.",
            "Pubblica il record indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The name {name} does not exist: Thunderbird and other clients cannot find the mailbox "
            "settings by themselves.",
            "Publish the record shown in the zone lines ({expected}).",
        ),
    },
    "dns.autoconfig_foreign": {
        "it": Text(
            "Il nome {name} esiste ma non punta al nostro servizio ({found}): spesso è un record "
            "jolly (*) del sito web, e Thunderbird non vi trova le impostazioni.",
            "Pubblica per {name} il record indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The name {name} exists but does not point at our service ({found}): often a wildcard "
            "(*) record of the website, where Thunderbird finds no settings.",
            "Publish the record shown in the zone lines for {name} ({expected}).",
        ),
    },
    "dns.autodiscover_ok": {
        "it": Text("Il nome {name} raggiunge il servizio autodiscover per Outlook ({found})."),
        "en": Text("The name {name} reaches the autodiscover service for Outlook ({found})."),
    },
    "dns.autodiscover_missing": {
        "it": Text(
            "Il nome {name} non esiste: Outlook non trova da solo le impostazioni della casella.",
            "Pubblica il record indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The name {name} does not exist: Outlook cannot find the mailbox settings by itself.",
            "Publish the record shown in the zone lines ({expected}).",
        ),
    },
    "dns.autodiscover_foreign": {
        "it": Text(
            "Il nome {name} esiste ma non punta al nostro servizio ({found}): Outlook chiede le "
            "impostazioni a un altro server.",
            "Pubblica per {name} il record indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The name {name} exists but does not point at our service ({found}): Outlook asks "
            "another server for the settings.",
            "Publish the record shown in the zone lines for {name} ({expected}).",
        ),
    },
    "dns.autodiscover_srv_missing": {
        "it": Text(
            "Manca il record SRV {name}. Outlook lo usa solo quando il nome autodiscover del dominio "
            "non risponde.",
            "Facoltativo: pubblica il record SRV indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The SRV record {name} is missing. Outlook uses it only when the domain's autodiscover "
            "name does not answer.",
            "Optional: publish the SRV record shown in the zone lines ({expected}).",
        ),
    },
    "dns.dav_srv_ok": {
        "it": Text("Il record SRV {name} porta calendari e contatti al server giusto ({found})."),
        "en": Text("The SRV record {name} leads calendars and contacts to the right server ({found})."),
    },
    "dns.dav_srv_missing": {
        "it": Text(
            "Manca il record SRV {name}: i programmi che cercano da soli calendari e contatti (RFC 6764, "
            "come Thunderbird e DAVx⁵) non trovano il server; con l'indirizzo del server scritto a mano funzionano.",
            "Pubblica il record SRV indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The SRV record {name} is missing: programs that look for calendars and contacts by themselves "
            "(RFC 6764, like Thunderbird and DAVx⁵) do not find the server; with its address typed by hand they work.",
            "Publish the SRV record shown in the zone lines ({expected}).",
        ),
    },
    "dns.dav_srv_mismatch": {
        "it": Text(
            "Il record SRV {name} indica {found}, ma il nostro server di calendari e contatti è {expected}: "
            "i programmi che lo seguono cercano calendari e contatti nel posto sbagliato.",
            "Correggi il record SRV come indicato tra le righe di zona ({expected}), oppure cancellalo.",
        ),
        "en": Text(
            "The SRV record {name} says {found}, but our calendar and contacts server is {expected}: programs "
            "that follow it look for calendars and contacts in the wrong place.",
            "Correct the SRV record as shown in the zone lines ({expected}), or delete it.",
        ),
    },
    "dns.dav_path_ok": {
        "it": Text("Il record TXT {name} indica il percorso giusto per calendari e contatti ({found})."),
        "en": Text("The TXT record {name} gives the right path for calendars and contacts ({found})."),
    },
    "dns.dav_path_missing": {
        "it": Text(
            "Manca il record TXT {name} con il percorso (path=): i programmi provano allora l'indirizzo "
            "/.well-known del server, che può non bastare.",
            "Pubblica il record TXT indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The TXT record {name} with the path (path=) is missing: programs then try the server's "
            "/.well-known address, which may not be enough.",
            "Publish the TXT record shown in the zone lines ({expected}).",
        ),
    },
    "dns.dav_path_mismatch": {
        "it": Text(
            "Il record TXT {name} indica {found}, ma il percorso giusto è {expected}: i programmi cercano "
            "calendari e contatti nel posto sbagliato.",
            "Correggi il record TXT come indicato tra le righe di zona ({expected}).",
        ),
        "en": Text(
            "The TXT record {name} says {found}, but the right path is {expected}: programs look for "
            "calendars and contacts in the wrong place.",
            "Correct the TXT record as shown in the zone lines ({expected}).",
        ),
    },
    "dns.lookup_failed": {
        "it": Text(
            "La ricerca DNS di {name} ({rtype}) non è riuscita: non si può dire se il record c'è.",
            "Riprova tra qualche minuto; se l'errore resta, i server DNS del dominio non rispondono "
            "bene e va avvisato chi li gestisce.",
        ),
        "en": Text(
            "The DNS lookup of {name} ({rtype}) failed: whether the record exists cannot be told.",
            "Try again in a few minutes; if it keeps failing, the domain's DNS servers are not "
            "answering properly and whoever runs them should be told.",
        ),
    },
    # Discovery: will each client find the settings by itself? (autoconfig/discovery.py)
    "discovery.ok": {
        "it": Text("Trova da solo le impostazioni a {via}, e sono quelle giuste."),
        "en": Text("Finds the settings by itself at {via}, and they are the right ones."),
    },
    "discovery.via_mx": {
        "it": Text(
            "Trova da solo le impostazioni a {via}, cercandole tramite il record MX del dominio "
            "(il nome autoconfig del dominio non risponde): funziona per Thunderbird, non per gli "
            "altri programmi."
        ),
        "en": Text(
            "Finds the settings by itself at {via}, looking them up through the domain's MX record "
            "(the domain's own autoconfig name does not answer): this works for Thunderbird, not "
            "for other programs."
        ),
    },
    "discovery.not_found": {
        "it": Text(
            "Non trova niente a {url}: {reason}.",
            "Pubblica il nome {name} come CNAME verso {service} (le righe di zona della verifica "
            "DNS mostrano il record) e servilo in HTTPS con un certificato valido.",
        ),
        "en": Text(
            "Finds nothing at {url}: {reason}.",
            "Publish the name {name} as a CNAME to {service} (the DNS check's zone lines show the "
            "record) and serve it over HTTPS with a valid certificate.",
        ),
    },
    "discovery.srv_missing": {
        "it": Text(
            "Il record {name} non esiste: i programmi che leggono i record SRV non trovano da soli "
            "questo servizio.",
            "Pubblica il record SRV indicato tra le righe di zona della verifica DNS ({expected}).",
        ),
        "en": Text(
            "The record {name} does not exist: programs that read SRV records do not find this "
            "service by themselves.",
            "Publish the SRV record shown in the DNS check's zone lines ({expected}).",
        ),
    },
    "discovery.unreachable": {
        "it": Text(
            "Non riesce a collegarsi a {url}: {reason}.",
            "Controlla che {name} punti a {service} e che il server web risponda sulle porte 443 e 80.",
        ),
        "en": Text(
            "Cannot connect to {url}: {reason}.",
            "Check that {name} points at {service} and that the web server answers on ports 443 and 80.",
        ),
    },
    "discovery.tls_failed": {
        "it": Text(
            "Si ferma a {url}: il certificato HTTPS non è valido per quel nome ({reason}).",
            "Installa su {name} un certificato valido per quel nome (per esempio con certbot: "
            "«autoconfig certificates» elenca i nomi) oppure fai puntare il nome a {service}.",
        ),
        "en": Text(
            "Stops at {url}: the HTTPS certificate is not valid for that name ({reason}).",
            "Install on {name} a certificate valid for that name (for example with certbot: "
            "“autoconfig certificates” lists the names) or point the name at {service}.",
        ),
    },
    "discovery.http_only": {
        "it": Text(
            "Trova le impostazioni solo in HTTP, non cifrato, a {via}: funziona, ma chiunque sulla "
            "rete potrebbe alterarle.",
            "Servi {name} anche in HTTPS con un certificato valido: il programma lo preferisce.",
        ),
        "en": Text(
            "Finds the settings only over plain HTTP, at {via}: it works, but anyone on the network "
            "could alter them.",
            "Serve {name} over HTTPS as well, with a valid certificate: the program prefers it.",
        ),
    },
    "discovery.redirect_refused": {
        "it": Text(
            "Non segue il rinvio di {url}: {reason}.",
            "Fai rinviare {name} a un indirizzo HTTPS, senza giri (al massimo 5 rinvii), oppure fai "
            "puntare il nome direttamente a {service}.",
        ),
        "en": Text(
            "Does not follow the redirect of {url}: {reason}.",
            "Make {name} redirect to an HTTPS address, without loops (5 redirects at most), or point "
            "the name straight at {service}.",
        ),
    },
    "discovery.bad_document": {
        "it": Text(
            "Scarta il documento trovato a {url}: {reason}.",
            "Fai servire a {name} il documento di questo servizio (fai puntare il nome a {service}) "
            "invece di un file scritto a mano.",
        ),
        "en": Text(
            "Rejects the document found at {url}: {reason}.",
            "Have {name} serve this service's document (point the name at {service}) instead of a "
            "hand-written file.",
        ),
    },
    "discovery.settings_mismatch": {
        "it": Text(
            "Trova a {url} impostazioni che nominano altri server ({found}) invece dei nostri "
            "({expected}): il programma si configurerebbe in modo sbagliato.",
            "Togli il vecchio file o il vecchio rinvio da {name} e fai puntare il nome a {service}.",
        ),
        "en": Text(
            "Finds at {url} settings that name other servers ({found}) instead of ours "
            "({expected}): the program would set itself up wrongly.",
            "Remove the old file or redirect from {name} and point the name at {service}.",
        ),
    },
    "discovery.timeout": {
        "it": Text(
            "Non riceve risposta in tempo da {url}: {reason}.",
            "Controlla che il server di {name} risponda, oppure fai puntare il nome a {service}.",
        ),
        "en": Text(
            "Gets no answer in time from {url}: {reason}.",
            "Check that the server of {name} answers, or point the name at {service}.",
        ),
    },
    "discovery.private_address_refused": {
        "it": Text(
            "Non si collega a {url}: il nome porta a un indirizzo interno ({reason}), che la "
            "verifica non contatta per sicurezza; i programmi dei clienti fuori dalla rete non lo "
            "raggiungono.",
            "Fai puntare {name} a un indirizzo pubblico, per esempio con un CNAME verso {service}.",
        ),
        "en": Text(
            "Does not connect to {url}: the name leads to an internal address ({reason}), which the "
            "check never contacts for safety; customers' programs outside that network cannot reach it.",
            "Point {name} at a public address, for example with a CNAME to {service}.",
        ),
    },
    "discovery.skipped": {
        "it": Text("Non verificato: {url} ({reason})."),
        "en": Text("Not checked: {url} ({reason})."),
    },
    "discovery.profile_signed": {
        "it": Text(
            "Non cerca da solo: si configura aprendo il profilo a {via}, firmato con un certificato "
            "riconosciuto dal dispositivo."
        ),
        "en": Text(
            "Does not look by itself: it is set up by opening the profile at {via}, signed with a "
            "certificate the device trusts."
        ),
    },
    "discovery.profile_unsigned": {
        "it": Text(
            "Non cerca da solo: si configura aprendo il profilo a {via}, che non è firmato, e il "
            "dispositivo lo mostra come «Non verificato».",
            "Configura signing_cert e signing_key per il fornitore, così il profilo risulta verificato.",
        ),
        "en": Text(
            "Does not look by itself: it is set up by opening the profile at {via}, which is not "
            "signed, so the device shows it as “Not Verified”.",
            "Configure signing_cert and signing_key for the provider, so the profile shows as verified.",
        ),
    },
    "discovery.profile_untrusted": {
        "it": Text(
            "Si configura aprendo il profilo a {via}, ma la sua firma non risale a un'autorità "
            "riconosciuta ({reason}): il dispositivo lo mostra come «Non verificato».",
            "Firma i profili con un certificato di un'autorità riconosciuta e indica gli intermedi in "
            "signing_chain.",
        ),
        "en": Text(
            "Is set up by opening the profile at {via}, but its signature does not lead to a trusted "
            "authority ({reason}): the device shows it as “Not Verified”.",
            "Sign profiles with a certificate from a trusted authority and list the intermediates in "
            "signing_chain.",
        ),
    },
    # Diagnostics: connection, TLS, login, folders, quota, POP3 and SMTP checks (autoconfig/probes/)
    "dns.resolver_down": {
        "it": Text(
            "Il nostro server DNS (il resolver di questo servizio) non risponde: nessun nome si è potuto "
            "cercare, nemmeno i nostri. Non è un problema del dominio del cliente né dei suoi server DNS.",
            "È un guasto del servizio, non del cliente: l'amministratore controlli il resolver indicato in "
            "[dns] nameservers (o in /etc/resolv.conf) e la rete verso di esso, poi ripeta la verifica.",
        ),
        "en": Text(
            "Our DNS resolver (this service's own) does not answer: no name could be looked up, not even "
            "ours. It is not a problem of the customer's domain or its DNS servers.",
            "A fault of this service, not the customer's: an administrator checks the resolver set in "
            "[dns] nameservers (or /etc/resolv.conf) and the network to it, then runs the check again.",
        ),
    },
    "net.ok": {
        "it": Text("Connessione riuscita a {host} porta {port} ({ip}, {family}) in {ms} ms."),
        "en": Text("Connected to {host} port {port} ({ip}, {family}) in {ms} ms."),
    },
    "net.resolve_failed": {
        "it": Text(
            "Il nome {host} non si risolve in un indirizzo IP.",
            "Controlla che il nome del server sia scritto giusto e che il suo record DNS (A/AAAA) esista; "
            "se il nome usa il dominio del cliente, il record va creato nella sua zona DNS.",
        ),
        "en": Text(
            "The name {host} does not resolve to an IP address.",
            "Check the server name is spelled right and its DNS record (A/AAAA) exists; if the name "
            "uses the customer's domain, the record must be created in that domain's DNS zone.",
        ),
    },
    "net.refused": {
        "it": Text(
            "{host} ({ip}) rifiuta le connessioni sulla porta {port}: lì non risponde nessun servizio.",
            "Verifica che il servizio {protocol} sia attivo su quella porta e che il firewall la lasci aperta.",
        ),
        "en": Text(
            "{host} ({ip}) refuses connections on port {port}: no service answers there.",
            "Check that the {protocol} service runs on that port and that the firewall lets it through.",
        ),
    },
    "net.timeout": {
        "it": Text(
            "{host} porta {port} non ha risposto in tempo (fase: {step}).",
            "Un firewall può scartare i pacchetti, oppure il server è sovraccarico o bloccato: controlla "
            "che la porta sia aperta e che il servizio risponda.",
        ),
        "en": Text(
            "{host} port {port} did not answer in time (step: {step}).",
            "A firewall may be dropping packets, or the server is overloaded or hung: check the port is "
            "open and the service answers.",
        ),
    },
    "net.private_address_refused": {
        "it": Text(
            "{host} punta a un indirizzo interno ({ip}, {range}): per sicurezza la diagnosi non vi si collega.",
            "Il record DNS del dominio del cliente per {host} deve puntare ai nostri server pubblici: "
            "correggilo nella zona DNS del dominio.",
        ),
        "en": Text(
            "{host} points at an internal address ({ip}, {range}): for safety the diagnosis does not connect there.",
            "The customer domain's DNS record for {host} must point at our public servers: fix it in "
            "the domain's DNS zone.",
        ),
    },
    "net.connection_lost": {
        "it": Text(
            "{host} porta {port} ha chiuso la connessione inaspettatamente (fase: {step}).",
            "Il server potrebbe limitare le connessioni o essere in errore: riprova tra poco e, se si ripete, "
            "controlla i log del server.",
        ),
        "en": Text(
            "{host} port {port} closed the connection unexpectedly (step: {step}).",
            "The server may be limiting connections or failing: try again shortly and, if it repeats, "
            "check the server's logs.",
        ),
    },
    "net.unreachable": {
        "it": Text(
            "{host} ({ip}) non è raggiungibile dalla rete della diagnosi.",
            "Controlla l'instradamento e, per IPv6, che il server sia davvero raggiungibile su quell'indirizzo.",
        ),
        "en": Text(
            "{host} ({ip}) cannot be reached from the diagnosis' network.",
            "Check the routing and, for IPv6, that the server really is reachable at that address.",
        ),
    },
    "net.error": {
        "it": Text(
            "Errore di rete con {host} porta {port} (fase: {step}).",
            "Riprova tra poco; se l'errore si ripete, controlla rete e firewall del server.",
        ),
        "en": Text(
            "Network error with {host} port {port} (step: {step}).",
            "Try again shortly; if it repeats, check the server's network and firewall.",
        ),
    },
    "proto.ok": {
        "it": Text("{host} porta {port} risponde come server {protocol}: «{banner}»."),
        "en": Text("{host} port {port} answers as a {protocol} server: “{banner}”."),
    },
    "proto.bad_greeting": {
        "it": Text(
            "Sulla porta {port} di {host} non risponde un server {protocol}: «{received}».",
            "La porta è probabilmente sbagliata o occupata da un altro servizio (ad esempio un server web): "
            "controlla porta e sicurezza configurate.",
        ),
        "en": Text(
            "Port {port} of {host} does not answer like a {protocol} server: “{received}”.",
            "The port is probably wrong or taken by another service (a web server, say): check the "
            "configured port and security.",
        ),
    },
    "proto.closed_at_greeting": {
        "it": Text(
            "{host} porta {port} ha chiuso la connessione senza salutare: lì non risponde un server di posta.",
            "Controlla che il servizio di posta sia attivo su quella porta e non limiti le connessioni "
            "(ad esempio per indirizzo o per numero massimo di processi).",
        ),
        "en": Text(
            "{host} port {port} closed the connection without a greeting: no mail server answers there.",
            "Check that the mail service runs on that port and does not limit connections (per address, or "
            "by its maximum number of processes).",
        ),
    },
    "proto.greeting_refused": {
        "it": Text(
            "{host} porta {port} ha rifiutato la sessione appena aperta: «{received}».",
            "Il server può aver bloccato l'indirizzo da cui ci colleghiamo o essere al limite di connessioni: "
            "controlla i log e le liste di blocco del server.",
        ),
        "en": Text(
            "{host} port {port} refused the session as soon as it opened: “{received}”.",
            "The server may have blocked the address we connect from or hit its connection limit: check "
            "the server's logs and block lists.",
        ),
    },
    "proto.unexpected_reply": {
        "it": Text(
            "{host} porta {port} ha dato una risposta inattesa (fase: {step}): «{reply}».",
            "Controlla i log del server per questo comando.",
        ),
        "en": Text(
            "{host} port {port} gave an unexpected reply (step: {step}): “{reply}”.",
            "Check the server's logs for this command.",
        ),
    },
    "tls.ok": {
        "it": Text(
            "TLS a posto su {host} porta {port}: {tls_version}, certificato valido fino al {not_after} "
            "({days_left} giorni)."
        ),
        "en": Text(
            "TLS is fine on {host} port {port}: {tls_version}, certificate valid until {not_after} "
            "({days_left} days)."
        ),
    },
    "tls.expired": {
        "it": Text(
            "Il certificato di {host} è scaduto il {not_after}: i programmi di posta rifiutano la connessione.",
            "Rinnova il certificato del server (ad esempio con il rinnovo automatico di Let's Encrypt) e "
            "ricarica il servizio.",
        ),
        "en": Text(
            "The certificate of {host} expired on {not_after}: mail clients refuse the connection.",
            "Renew the server's certificate (e.g. Let's Encrypt's automatic renewal) and reload the service.",
        ),
    },
    "tls.not_yet_valid": {
        "it": Text(
            "Il certificato di {host} non è ancora valido (dal {not_before}).",
            "Controlla l'orologio del server e la data di inizio del certificato.",
        ),
        "en": Text(
            "The certificate of {host} is not valid yet (from {not_before}).",
            "Check the server's clock and the certificate's start date.",
        ),
    },
    "tls.hostname_mismatch": {
        "it": Text(
            "Il certificato sulla porta {port} è per «{names}», non per {expected_name}: i programmi di posta "
            "lo segnalano come non sicuro.",
            "Installa un certificato che includa {expected_name}, oppure configura i clienti con un nome "
            "che il certificato copre.",
        ),
        "en": Text(
            "The certificate on port {port} is for “{names}”, not for {expected_name}: mail clients flag it "
            "as unsafe.",
            "Install a certificate that includes {expected_name}, or set clients up with a name the "
            "certificate covers.",
        ),
    },
    "tls.untrusted": {
        "it": Text(
            "Il certificato di {host} non è di un'autorità riconosciuta.",
            "Usa un certificato di un'autorità pubblica (ad esempio Let's Encrypt) e installa anche i "
            "certificati intermedi (la catena completa).",
        ),
        "en": Text(
            "The certificate of {host} is not from a trusted authority.",
            "Use a certificate from a public authority (e.g. Let's Encrypt) and install the intermediate "
            "certificates too (the full chain).",
        ),
    },
    "tls.handshake_failed": {
        "it": Text(
            "La negoziazione TLS con {host} porta {port} non è riuscita.",
            "Controlla che su questa porta il server usi davvero TLS e i protocolli e cifrari abilitati.",
        ),
        "en": Text(
            "The TLS handshake with {host} port {port} failed.",
            "Check that the server really speaks TLS on this port, and its enabled protocols and ciphers.",
        ),
    },
    "tls.expiring_soon": {
        "it": Text(
            "Il certificato di {host} scade il {not_after}, tra {days_left} giorni.",
            "Rinnova il certificato prima della scadenza; controlla che il rinnovo automatico funzioni.",
        ),
        "en": Text(
            "The certificate of {host} expires on {not_after}, in {days_left} days.",
            "Renew the certificate before it expires; check that automatic renewal works.",
        ),
    },
    "tls.weak_protocol": {
        "it": Text(
            "{host} porta {port} offre solo {tls_version}, un protocollo vecchio che i programmi di posta "
            "recenti rifiutano: la password non è stata inviata.",
            "Abilita TLS 1.2 e TLS 1.3 sul server.",
        ),
        "en": Text(
            "{host} port {port} offers only {tls_version}, an old protocol recent mail clients refuse: the "
            "password was not sent.",
            "Enable TLS 1.2 and TLS 1.3 on the server.",
        ),
    },
    "tls.weak_cipher": {
        "it": Text(
            "{host} porta {port} offre {tls_version} solo con cifrari o chiavi deboli ({cipher}), sotto il "
            "livello di sicurezza predefinito: la password non è stata inviata.",
            "Configura sul server cifrari moderni (ECDHE con AES-GCM o ChaCha20) e chiavi di almeno 2048 bit.",
        ),
        "en": Text(
            "{host} port {port} offers {tls_version} only with weak ciphers or keys ({cipher}), below the default "
            "security level: the password was not sent.",
            "Configure modern ciphers on the server (ECDHE with AES-GCM or ChaCha20) and keys of at least 2048 bits.",
        ),
    },
    "tls.weak_key": {
        "it": Text(
            "Il certificato di {host} porta {port} ha {weakness}: la password non è stata inviata.",
            "Rinnova il certificato con una chiave RSA di almeno 2048 bit (o ECDSA) firmata con SHA-256 o meglio.",
        ),
        "en": Text(
            "The certificate of {host} port {port} has {weakness}: the password was not sent.",
            "Renew the certificate with an RSA key of at least 2048 bits (or ECDSA), signed with SHA-256 or better.",
        ),
    },
    "tls.family_failed": {
        "it": Text(
            "Via {family} ({ip}) la connessione TLS a {host} porta {port} non riesce, mentre via "
            "{other_family} ({other_ip}) funziona: i programmi di posta che si collegano via {family} "
            "rifiutano la connessione.",
            "L'indirizzo {family} di {host} porta probabilmente a un altro server, o a uno vecchio: installa "
            "lì lo stesso certificato valido usato via {other_family}, oppure correggi il record {record} "
            "di {host} perché punti al server giusto.",
        ),
        "en": Text(
            "Over {family} ({ip}) the TLS connection to {host} port {port} fails, while over "
            "{other_family} ({other_ip}) it works: mail clients that connect over {family} refuse the "
            "connection.",
            "The {family} address of {host} probably leads to another server, or an old one: install the "
            "same valid certificate there as over {other_family}, or correct the {record} record of {host} "
            "so that it points at the right server.",
        ),
    },
    "tls.family_mismatch": {
        "it": Text(
            "{host} porta {port} presenta via {family} ({ip}) un certificato diverso da quello via "
            "{other_family} ({other_ip}): oggi sono validi entrambi (fino al {not_after} e al "
            "{other_not_after}), ma i due indirizzi potrebbero portare a server diversi.",
            "Controlla che entrambi gli indirizzi portino allo stesso server aggiornato: spesso il certificato "
            "viene rinnovato su uno solo dei due. Se l'indirizzo {family} è di un server vecchio, correggi il "
            "record {record} di {host}.",
        ),
        "en": Text(
            "{host} port {port} presents a different certificate over {family} ({ip}) than over "
            "{other_family} ({other_ip}): both are valid today (until {not_after} and {other_not_after}), "
            "but the two addresses may lead to different servers.",
            "Check that both addresses lead to the same, up-to-date server: often the certificate gets "
            "renewed on only one of them. If the {family} address is an old server's, correct the {record} "
            "record of {host}.",
        ),
    },
    "tls.plain_configured": {
        "it": Text(
            "Questo server è configurato senza cifratura, ma offre STARTTLS.",
            "Nella configurazione imposta security = \"starttls\" per questo server.",
        ),
        "en": Text(
            "This server is configured without encryption, but it offers STARTTLS.",
            "Set security = \"starttls\" for this server in the configuration.",
        ),
    },
    "starttls.missing": {
        "it": Text(
            "{host} porta {port} non offre STARTTLS: la connessione resterebbe in chiaro.",
            "Abilita TLS sul server (certificato e STARTTLS), oppure usa la porta con TLS implicito.",
        ),
        "en": Text(
            "{host} port {port} does not offer STARTTLS: the connection would stay unencrypted.",
            "Enable TLS on the server (certificate and STARTTLS), or use the implicit-TLS port.",
        ),
    },
    "auth.ok": {
        "it": Text("Accesso riuscito come {username} su {host} porta {port} ({mechanism})."),
        "en": Text("Logged in as {username} on {host} port {port} ({mechanism})."),
    },
    "auth.failed": {
        "it": Text(
            "Il server ha rifiutato nome utente o password di {username}: «{reply}».",
            "Controlla che il nome utente sia l'indirizzo completo e la password quella attuale; se "
            "necessario reimpostala dal pannello di controllo.",
        ),
        "en": Text(
            "The server refused the user name or password of {username}: “{reply}”.",
            "Check the user name is the full address and the password the current one; reset it in the "
            "control panel if needed.",
        ),
    },
    "auth.plaintext_refused": {
        "it": Text(
            "Il server accetta la password solo su una connessione cifrata.",
            "Nel programma di posta scegli SSL/TLS o STARTTLS per questo server.",
        ),
        "en": Text(
            "The server accepts the password only over an encrypted connection.",
            "Choose SSL/TLS or STARTTLS for this server in the mail client.",
        ),
    },
    "auth.too_many_connections": {
        "it": Text(
            "Troppe connessioni aperte per {username}: «{reply}».",
            "Chiudi il programma di posta su qualche dispositivo o riduci le connessioni simultanee "
            "(ad esempio in Thunderbird «connessioni in cache»), poi riprova.",
        ),
        "en": Text(
            "Too many open connections for {username}: “{reply}”.",
            "Close the mail client on some devices or lower its simultaneous connections (e.g. "
            "Thunderbird's “cached connections”), then try again.",
        ),
    },
    "auth.unavailable": {
        "it": Text(
            "Il server non può verificare l'accesso in questo momento: «{reply}».",
            "È un problema temporaneo del server: riprova tra qualche minuto; se continua, contatta "
            "l'assistenza tecnica.",
        ),
        "en": Text(
            "The server cannot check the login right now: “{reply}”.",
            "A temporary server problem: try again in a few minutes; if it goes on, contact technical support.",
        ),
    },
    "auth.disabled": {
        "it": Text(
            "L'accesso con password non è possibile per questo account su {host}: «{reply}».",
            "L'account può essere sospeso, la password scaduta o l'accesso disattivato: controlla "
            "l'account nel pannello di controllo.",
        ),
        "en": Text(
            "A password login is not possible for this account on {host}: “{reply}”.",
            "The account may be suspended, the password expired or the login disabled: check the account "
            "in the control panel.",
        ),
    },
    "auth.oauth2_only": {
        "it": Text(
            "Il server {host} accetta solo l'accesso con OAuth2 ({mechanisms}), non con la password: "
            "questo controllo non può provare l'accesso, e i programmi di posta che non conoscono "
            "OAuth2 per questo fornitore non riescono a collegarsi.",
            "Per il controllo e per i programmi senza OAuth2, attiva sul server anche l'accesso con "
            "password (meccanismi PLAIN e LOGIN, solo su connessione cifrata); i programmi che "
            "conoscono OAuth2 continueranno a usarlo.",
        ),
        "en": Text(
            "The server {host} accepts only OAuth2 logins ({mechanisms}), not a password: this check "
            "cannot try the login, and mail programs that do not know OAuth2 for this provider cannot "
            "connect.",
            "For the check and for programs without OAuth2, enable password logins on the server too "
            "(the PLAIN and LOGIN mechanisms, over encrypted connections only); programs that know "
            "OAuth2 keep using it.",
        ),
    },
    "auth.skipped": {
        "it": Text("Accesso non provato: nessuna password indicata."),
        "en": Text("Login not tried: no password given."),
    },
    "auth.not_attempted_insecure": {
        "it": Text(
            "La password non è stata inviata: la connessione a {host} porta {port} non è cifrata con un "
            "certificato verificato.",
            "Risolvi prima il problema TLS indicato; la diagnosi non invia mai password in chiaro.",
        ),
        "en": Text(
            "The password was not sent: the connection to {host} port {port} is not encrypted with a "
            "verified certificate.",
            "Fix the TLS problem shown first; the diagnosis never sends a password unprotected.",
        ),
    },
    "auth.not_attempted_foreign_host": {
        "it": Text(
            "La password non è stata inviata a {host}: il suo nome viene dal dominio dell'indirizzo e il suo "
            "indirizzo IP ({ip}) non è nelle reti dei nostri server di posta. Il resto è stato verificato.",
            "Se {host} è davvero un nostro server, l'amministratore aggiunga la sua rete a login_networks del "
            "fornitore. Altrimenti il dominio potrebbe imitare il nostro: non inserire la password in "
            "programmi configurati per quel server.",
        ),
        "en": Text(
            "The password was not sent to {host}: its name comes from the address's domain and its IP address "
            "({ip}) is not in our mail servers' networks. Everything else was checked.",
            "If {host} really is one of our servers, an administrator adds its network to the provider's "
            "login_networks. Otherwise the domain may imitate ours: do not type the password into mail programs "
            "set up for that server.",
        ),
    },
    "auth.slowed": {
        "it": Text(
            "Il server sta rallentando gli accessi: dopo saluto e TLS regolari, la risposta al login non è "
            "arrivata entro {seconds} secondi. I server di posta lo fanno dopo tentativi con la password "
            "sbagliata; non è un guasto di rete.",
            "Aspetta qualche minuto e riprova: il server rallenta gli accessi dopo tentativi falliti. "
            "Se succede a molti clienti, l'assistenza controlli se fail2ban o la penalità di Dovecot "
            "colpiscono l'indirizzo di questo servizio (vedi forward_client_address nella guida).",
        ),
        "en": Text(
            "The server is slowing logins down: after a good greeting and TLS, the answer to the login did "
            "not come within {seconds} seconds. Mail servers do this after attempts with a wrong password; "
            "it is not a network fault.",
            "Wait a few minutes and try again: the server slows logins after failed attempts. If many "
            "customers see it, the helpdesk should check whether fail2ban or Dovecot's auth penalty hits "
            "this service's address (see forward_client_address in the guide).",
        ),
    },
    "imap.folders_ok": {
        "it": Text(
            "Cartelle a posto: {folders} cartelle, Posta inviata, Bozze, Cestino e Spam riconoscibili; "
            "{messages} messaggi, {unseen} non letti."
        ),
        "en": Text(
            "Folders are fine: {folders} folders, Sent, Drafts, Trash and Junk recognisable; "
            "{messages} messages, {unseen} unread."
        ),
    },
    "imap.special_use_missing": {
        "it": Text(
            "Il server non indica quali cartelle usare per: {missing}. I programmi di posta possono crearne "
            "di proprie e dividere la posta in due cartelle.",
            "Contrassegna le cartelle speciali sul server (SPECIAL-USE, in Dovecot «special_use»), oppure "
            "scegli le cartelle a mano nelle impostazioni dell'account.",
        ),
        "en": Text(
            "The server does not say which folders to use for: {missing}. Mail clients may create their own "
            "and split mail across two folders.",
            "Mark the special folders on the server (SPECIAL-USE, Dovecot's “special_use”), or choose the "
            "folders by hand in the account settings.",
        ),
    },
    "imap.unsubscribed_folders": {
        "it": Text(
            "{count} cartelle esistono sul server ma non sono sottoscritte, quindi molti programmi non le "
            "mostrano: {folders}.",
            "Nel programma di posta apri «Sottoscrivi cartelle» (o «Gestisci sottoscrizioni») e spunta "
            "queste cartelle.",
        ),
        "en": Text(
            "{count} folders exist on the server but are not subscribed, so many clients hide them: {folders}.",
            "In the mail client open “Subscribe…” (or “Manage subscriptions”) and tick these folders.",
        ),
    },
    "imap.subscriptions_ok": {
        "it": Text("Tutte le cartelle del server sono sottoscritte e visibili nei programmi di posta."),
        "en": Text("Every folder on the server is subscribed and shows in mail clients."),
    },
    "imap.sync_ok": {
        "it": Text(
            "Il server offre la posta in arrivo subito (IDLE) e quello che i programmi usano per sincronizzare: "
            "{offered}. Non offerti: {missing}."
        ),
        "en": Text(
            "The server offers new mail at once (IDLE) and what clients sync with: {offered}. Not offered: "
            "{missing}."
        ),
    },
    "imap.no_push": {
        "it": Text(
            "Il server non offre IDLE: i programmi vedono la posta nuova solo al controllo successivo, con minuti "
            "di ritardo. Offerti: {offered}.",
            "Abilita IDLE sul server IMAP (in Dovecot è sempre attivo, salvo imap_capability che lo tolga); "
            "intanto nel programma si può controllare la posta più spesso.",
        ),
        "en": Text(
            "The server does not offer IDLE: clients see new mail only at their next check, minutes late. "
            "Offered: {offered}.",
            "Enable IDLE on the IMAP server (Dovecot always has it unless imap_capability removes it); meanwhile "
            "the mail client can check for mail more often.",
        ),
    },
    "imap.quota_ok": {
        "it": Text("Casella occupata al {percent}% ({used_mb} MB di {limit_mb} MB)."),
        "en": Text("Mailbox {percent}% full ({used_mb} MB of {limit_mb} MB)."),
    },
    "imap.quota_high": {
        "it": Text(
            "Casella quasi piena: {percent}% ({used_mb} MB di {limit_mb} MB).",
            "Elimina o archivia i messaggi vecchi (svuota anche Cestino e Spam) oppure passa a un piano "
            "con più spazio, prima che la posta in arrivo venga respinta.",
        ),
        "en": Text(
            "Mailbox nearly full: {percent}% ({used_mb} MB of {limit_mb} MB).",
            "Delete or archive old messages (empty Trash and Junk too) or move to a larger plan before "
            "incoming mail bounces.",
        ),
    },
    "imap.quota_full": {
        "it": Text(
            "Casella piena: {percent}% ({used_mb} MB di {limit_mb} MB); la posta in arrivo viene respinta.",
            "Libera spazio subito (svuota Cestino e Spam, archivia gli allegati grandi) o aumenta lo spazio "
            "del piano.",
        ),
        "en": Text(
            "Mailbox full: {percent}% ({used_mb} MB of {limit_mb} MB); incoming mail bounces.",
            "Free space now (empty Trash and Junk, archive big attachments) or enlarge the plan.",
        ),
    },
    "imap.quota_unsupported": {
        "it": Text("Il server non comunica lo spazio occupato (nessuna estensione QUOTA)."),
        "en": Text("The server does not report the space used (no QUOTA extension)."),
    },
    "imap.quota_unlimited": {
        "it": Text("Nessun limite di spazio per questa casella."),
        "en": Text("No space limit for this mailbox."),
    },
    "pop3.mailbox_ok": {
        "it": Text("Casella POP3 a posto: {messages} messaggi, {size_mb} MB; UIDL disponibile."),
        "en": Text("POP3 mailbox is fine: {messages} messages, {size_mb} MB; UIDL available."),
    },
    "pop3.uidl_missing": {
        "it": Text(
            "Il server POP3 non supporta UIDL: i programmi non possono lasciare una copia dei messaggi sul "
            "server senza scaricarli di nuovo.",
            "Abilita UIDL sul server, oppure usa IMAP se vuoi la posta anche su altri dispositivi.",
        ),
        "en": Text(
            "The POP3 server does not support UIDL: clients cannot leave a copy of messages on the server "
            "without downloading them again.",
            "Enable UIDL on the server, or use IMAP to read mail on other devices too.",
        ),
    },
    "smtp.auth_ok": {
        "it": Text("Invio autenticato riuscito come {username} su {host} porta {port} (nessun messaggio inviato)."),
        "en": Text("Authenticated sending works as {username} on {host} port {port} (no message was sent)."),
    },
    "smtp.auth_failed": {
        "it": Text(
            "Il server di invio ha rifiutato nome utente o password: «{reply}».",
            "Nel programma di posta, per il server in uscita usa lo stesso nome utente (l'indirizzo "
            "completo) e la stessa password della posta in arrivo.",
        ),
        "en": Text(
            "The outgoing server refused the user name or password: “{reply}”.",
            "In the mail client, give the outgoing server the same user name (the full address) and "
            "password as the incoming one.",
        ),
    },
    "smtp.auth_not_offered": {
        "it": Text(
            "Il server di invio {host} porta {port} non offre l'autenticazione (AUTH): i clienti non possono "
            "inviare posta.",
            "Abilita SMTP AUTH sulla porta di submission (dopo STARTTLS o con TLS implicito).",
        ),
        "en": Text(
            "The outgoing server {host} port {port} offers no authentication (AUTH): customers cannot send mail.",
            "Enable SMTP AUTH on the submission port (after STARTTLS or with implicit TLS).",
        ),
    },
    "skip.unreachable": {
        "it": Text("Non verificato: la connessione a {host} porta {port} non è riuscita."),
        "en": Text("Not checked: the connection to {host} port {port} failed."),
    },
    "skip.tls_failed": {
        "it": Text("Non verificato: la connessione cifrata (TLS) con {host} porta {port} non è riuscita."),
        "en": Text("Not checked: the encrypted (TLS) connection to {host} port {port} failed."),
    },
    "skip.no_greeting": {
        "it": Text("Non verificato: {host} porta {port} non ha risposto come un server di posta."),
        "en": Text("Not checked: {host} port {port} did not answer like a mail server."),
    },
    "skip.no_password": {
        "it": Text("Non verificato: serve la password per accedere alla casella."),
        "en": Text("Not checked: the mailbox password is needed."),
    },
    "skip.no_login": {
        "it": Text("Non verificato: l'accesso alla casella su {host} porta {port} non è riuscito."),
        "en": Text("Not checked: the login to the mailbox on {host} port {port} did not succeed."),
    },
    "skip.credentials_refused": {
        "it": Text(
            "Accesso non provato: lo stesso nome utente e la stessa password sono appena stati rifiutati "
            "(vedi {blocked_by}); riprovare farebbe solo rallentare gli accessi dal server."
        ),
        "en": Text(
            "Login not tried: the same user name and password were just refused (see {blocked_by}); trying "
            "again would only make the server slow logins down."
        ),
    },
    "skip.login_slowed": {
        "it": Text(
            "Accesso non provato: il server sta rallentando gli accessi (vedi {blocked_by}); un altro "
            "tentativo li rallenterebbe ancora di più."
        ),
        "en": Text(
            "Login not tried: the server is slowing logins down (see {blocked_by}); another try would slow "
            "them down further."
        ),
    },
    "skip.resolver_down": {
        "it": Text("Non verificato: il nostro server DNS non risponde (vedi {blocked_by})."),
        "en": Text("Not checked: our DNS resolver does not answer (see {blocked_by})."),
    },
    "skip.budget": {
        "it": Text(
            "Non verificato: la diagnosi ha esaurito il tempo a disposizione.",
            "Risolvi prima i server lenti o muti indicati, poi ripeti la diagnosi.",
        ),
        "en": Text(
            "Not checked: the diagnosis ran out of time.",
            "Fix the slow or silent servers shown first, then run the diagnosis again.",
        ),
    },
    "diag.cut_short": {
        "it": Text(
            "Interrotto: il tempo della diagnosi è finito mentre si attendeva il server (fase: {step}).",
            "Il server risponde troppo lentamente o non risponde: controlla che il servizio sia attivo e "
            "non sovraccarico.",
        ),
        "en": Text(
            "Cut short: the diagnosis' time ran out while waiting for the server (step: {step}).",
            "The server answers too slowly or not at all: check the service runs and is not overloaded.",
        ),
    },
    "diag.internal_error": {
        "it": Text(
            "Errore interno della diagnosi (fase: {step}): non è un guasto del server di posta.",
            "L'errore è stato registrato; riprova e, se si ripete, segnalalo agli sviluppatori.",
        ),
        "en": Text(
            "Internal error of the diagnosis (step: {step}): not a fault of the mail server.",
            "The error has been logged; try again and, if it repeats, report it to the developers.",
        ),
    },
    # Verdict: the headline a customer reads first (autoconfig/problems.py)
    "verdict.ok": {
        "it": Text("Tutto funziona."),
        "en": Text("Everything works."),
    },
    "verdict.ok_unchecked": {
        "it": Text("Tutto quello che abbiamo potuto verificare funziona."),
        "en": Text("Everything we could check works."),
    },
    "verdict.warning": {
        "it": Text("Funziona, ma una cosa merita attenzione."),
        "en": Text("It works, but one thing needs your attention."),
    },
    "verdict.warnings": {
        "it": Text("Funziona, ma {count} cose meritano attenzione."),
        "en": Text("It works, but {count} things need your attention."),
    },
    "verdict.problem": {
        "it": Text("C'è un problema da risolvere."),
        "en": Text("There is one problem to fix."),
    },
    "verdict.problems": {
        "it": Text("Ci sono {count} problemi da risolvere."),
        "en": Text("There are {count} problems to fix."),
    },
    # HTTP: a rate limit refused the request (autoconfig/web/limits.py)
    "http.rate_limited": {
        "it": Text(
            "Troppe richieste in poco tempo da questo indirizzo o per questa casella.",
            "Attendi {retry_after} secondi e riprova.",
        ),
        "en": Text(
            "Too many requests in a short time from this address or for this mailbox.",
            "Wait {retry_after} seconds and try again.",
        ),
    },
    # HTTP: too many diagnoses running at once in this instance (autoconfig/web/diagnostics.py)
    "http.busy": {
        "it": Text(
            "Il servizio è occupato: stanno girando troppi controlli in questo momento.",
            "Riprova tra {retry_after} secondi. La configurazione automatica dei programmi di posta "
            "continua a funzionare.",
        ),
        "en": Text(
            "The service is busy: too many checks are running right now.",
            "Try again in {retry_after} seconds. Automatic setup of mail programs keeps working.",
        ),
    },
    # Watch: what customers read about our own servers (autoconfig/watch/notices.py)
    "watch.incident": {
        "it": Text(
            "Problema noto da parte nostra su {host} dalle {since}.",
            "Il problema è nostro e lo stiamo già risolvendo: non devi fare nulla e non cambiare le "
            "impostazioni del programma di posta, sono corrette.",
        ),
        "en": Text(
            "A known problem on our side on {host} since {since}.",
            "The problem is ours and we are already working on it: you need do nothing, and do not "
            "change your mail program's settings, they are right.",
        ),
    },
    "watch.maintenance": {
        "it": Text(
            "Manutenzione programmata su {host} fino alle {until}.",
            "Il servizio torna da solo al termine della manutenzione: non devi fare nulla e non cambiare "
            "le impostazioni del programma di posta.",
        ),
        "en": Text(
            "Planned maintenance on {host} until {until}.",
            "The service comes back by itself when the maintenance ends: you need do nothing, and do "
            "not change your mail program's settings.",
        ),
    },
    # Tickets: a finished diagnosis that could not be stored (autoconfig/web/reports.py)
    "ticket.unavailable": {
        "it": Text(
            "Non siamo riusciti a salvare questo controllo, quindi non ha un codice né un link per "
            "riaprirlo. I risultati qui sotto restano validi.",
            "Se scrivi all'assistenza, incolla nel messaggio il riepilogo qui sotto, oppure ripeti il "
            "controllo tra qualche minuto per avere un codice.",
        ),
        "en": Text(
            "We could not save this check, so it has no code and no link to reopen it. The results "
            "below are still valid.",
            "If you write to support, paste the summary below into your message, or run the check "
            "again in a few minutes to get a code.",
        ),
    },
    # Advice: reasons for a recommendation (autoconfig/advice.py)
    "advice.imap.several_devices": {
        "it": Text(
            "Leggi la posta da {devices} dispositivi: con IMAP tutti mostrano gli stessi messaggi, "
            "le stesse cartelle e gli stessi segni di lettura, perché tutto resta sul server."
        ),
        "en": Text(
            "You read mail on {devices} devices: with IMAP they all show the same messages, "
            "folders and read marks, because everything stays on the server."
        ),
    },
    "advice.imap.webmail": {
        "it": Text(
            "Usi anche la webmail, che legge direttamente dal server. Un client IMAP vi lascia la "
            "posta; un client POP3 la sposta su un solo computer e la webmail non la vede più."
        ),
        "en": Text(
            "You also use webmail, which reads straight from the server. An IMAP client leaves "
            "your mail there; a POP3 client moves it to one computer and webmail no longer sees it."
        ),
    },
    "advice.imap.shared_account": {
        "it": Text(
            "Più persone o postazioni usano la stessa casella, come capita spesso in azienda: IMAP "
            "regge gli accessi contemporanei, POP3 è pensato per un solo lettore alla volta."
        ),
        "en": Text(
            "Several people or desks use the same mailbox, as often happens in a company: IMAP "
            "copes with simultaneous sessions, POP3 was designed for one reader at a time."
        ),
    },
    "advice.imap.server_folders": {
        "it": Text(
            "Vuoi ritrovare le tue cartelle ovunque: con IMAP le cartelle nascono sul server e "
            "compaiono su ogni dispositivo; POP3 conosce solo la Posta in arrivo e le cartelle "
            "restano sul computer che le ha create."
        ),
        "en": Text(
            "You want your folders everywhere: with IMAP folders are made on the server and appear "
            "on every device; POP3 knows only the inbox, and folders stay on the computer that "
            "made them."
        ),
    },
    "advice.imap.folders_found": {
        "it": Text(
            "Tieni già la posta in cartelle tue sul server ({folders} in tutto): un client POP3 "
            "vedrebbe soltanto la Posta in arrivo."
        ),
        "en": Text(
            "You already keep mail in folders of your own on the server ({folders} of them): a POP3 "
            "client would see only the inbox."
        ),
    },
    "advice.imap.poor_link": {
        "it": Text(
            "La connessione è lenta o instabile: IMAP scarica prima le sole intestazioni, che "
            "pesano poco, e il resto del messaggio quando lo apri. POP3 scarica ogni messaggio per "
            "intero, e un trasferimento interrotto è più probabile."
        ),
        "en": Text(
            "Your connection is slow or unreliable: IMAP first fetches only the small headers, and "
            "the rest of a message when you open it. POP3 downloads every message in full, and a "
            "broken transfer is more likely."
        ),
    },
    "advice.imap.metered_link": {
        "it": Text(
            "Paghi il traffico dati a consumo: IMAP scarica prima le sole intestazioni e gli "
            "allegati solo quando apri il messaggio, così consumi meno."
        ),
        "en": Text(
            "You pay for data by volume: IMAP fetches headers first and attachments only when you "
            "open a message, so it uses less data."
        ),
    },
    "advice.imap.sent_on_server": {
        "it": Text(
            "La posta inviata è salvata sul server: con IMAP resta visibile da ogni dispositivo, "
            "con POP3 la vedresti solo sul computer da cui l'hai spedita."
        ),
        "en": Text(
            "Your sent mail is kept on the server: with IMAP it stays visible on every device, "
            "with POP3 you would see it only on the computer that sent it."
        ),
    },
    "advice.imap.no_uidl": {
        "it": Text(
            "Il server POP3 non dice quali messaggi hai già scaricato (manca UIDL): lasciare una "
            "copia sul server produrrebbe doppioni."
        ),
        "en": Text(
            "The POP3 server does not tell which messages you already downloaded (no UIDL): "
            "leaving a copy on the server would produce duplicates."
        ),
    },
    "advice.imap.default": {
        "it": Text(
            "Nessuna risposta richiede POP3. Nel dubbio IMAP è la scelta più flessibile: potrai "
            "aggiungere un dispositivo o usare la webmail in qualsiasi momento."
        ),
        "en": Text(
            "None of your answers calls for POP3. When in doubt IMAP is the more flexible choice: "
            "you can add a device or use webmail at any time."
        ),
    },
    "advice.pop3.single_device_offline": {
        "it": Text(
            "Leggi la posta da un solo dispositivo e vuoi un archivio completo consultabile anche "
            "senza connessione: POP3 scarica ogni messaggio per intero, allegati compresi, e lo "
            "conserva sul tuo computer."
        ),
        "en": Text(
            "You read mail on one device only and want a complete archive you can open without a "
            "connection: POP3 downloads every message in full, attachments included, and keeps it "
            "on your computer."
        ),
    },
    "advice.pop3.offline": {
        "it": Text(
            "Vuoi leggere la posta anche senza connessione: POP3 tiene sul dispositivo una copia "
            "completa di ogni messaggio. Se però usi più di un dispositivo, scegli IMAP."
        ),
        "en": Text(
            "You want to read mail without a connection: POP3 keeps a complete copy of every "
            "message on the device. If you use more than one device, though, choose IMAP."
        ),
    },
    "advice.pop3.quota_tight": {
        "it": Text(
            "Dici che la casella è piena al {percent}%: POP3 scarica i messaggi e li toglie dal "
            "server, così lo spazio del tuo piano si libera."
        ),
        "en": Text(
            "You say your mailbox is {percent}% full: POP3 downloads messages and removes them "
            "from the server, which frees your plan's space."
        ),
    },
    "advice.pop3.quota_tight_measured": {
        "it": Text(
            "La verifica ha trovato la casella piena al {percent}%: POP3 scarica i messaggi e li "
            "toglie dal server, così lo spazio del tuo piano si libera."
        ),
        "en": Text(
            "The check found your mailbox {percent}% full: POP3 downloads messages and removes "
            "them from the server, which frees your plan's space."
        ),
    },
    # Advice: cautions that come with a recommendation
    "advice.download.good": {
        "it": Text("Il primo scaricamento completo ({what}) richiede {duration} con una buona connessione."),
        "en": Text("The first full download ({what}) takes {duration} on a good connection."),
    },
    "advice.download.poor": {
        "it": Text("Il primo scaricamento completo ({what}) richiede {duration} con una connessione lenta."),
        "en": Text("The first full download ({what}) takes {duration} on a slow connection."),
    },
    "advice.download.metered": {
        "it": Text("Il primo scaricamento completo ({what}) richiede {duration} con una connessione a consumo."),
        "en": Text("The first full download ({what}) takes {duration} on a metered connection."),
    },
    "advice.download.imap": {
        "it": Text("le intestazioni di {messages} messaggi"),
        "en": Text("the headers of {messages} messages"),
    },
    "advice.download.pop3": {
        "it": Text("{messages} messaggi interi, {megabytes} MB"),
        "en": Text("{messages} whole messages, {megabytes} MB"),
    },
    "advice.duration.under_minute": {
        "it": Text("meno di un minuto"),
        "en": Text("less than a minute"),
    },
    "advice.duration.minutes": {
        "it": Text("circa {n} minuti"),
        "en": Text("about {n} minutes"),
    },
    "advice.duration.hours": {
        "it": Text("circa {n} ore"),
        "en": Text("about {n} hours"),
    },
    "advice.caution.pop3_no_mixing": {
        "it": Text(
            "Non affiancare mai un dispositivo POP3 che cancella i messaggi dal server ad altri "
            "dispositivi IMAP o alla webmail: appena lui scarica, la posta sparisce per tutti gli "
            "altri."
        ),
        "en": Text(
            "Never pair a POP3 device that deletes mail from the server with IMAP devices or "
            "webmail: as soon as it downloads, the mail is gone for all the others."
        ),
    },
    "advice.caution.pop3_keep_copy": {
        "it": Text(
            "Imposta il client POP3 perché lasci una copia dei messaggi sul server per qualche "
            "giorno: se il computer si guasta, la posta recente non va persa."
        ),
        "en": Text(
            "Set the POP3 client to leave a copy of each message on the server for a few days, so "
            "recent mail survives if the computer breaks."
        ),
    },
    "advice.caution.pop3_sent_local": {
        "it": Text(
            "Con POP3 la posta inviata resta solo sul dispositivo da cui la spedisci: la webmail e "
            "gli altri dispositivi non la mostrano. Fai copie di sicurezza di quel dispositivo."
        ),
        "en": Text(
            "With POP3 sent mail stays only on the device that sent it: webmail and other devices "
            "will not show it. Keep backups of that device."
        ),
    },
    "advice.caution.pop3_folders_hidden": {
        "it": Text(
            "Le cartelle che hai sul server ({folders} in tutto) non compariranno nel client POP3: "
            "prima di passare, sposta nella Posta in arrivo i messaggi che vuoi scaricare."
        ),
        "en": Text(
            "Your folders on the server ({folders} of them) will not appear in a POP3 client: before "
            "switching, move the messages you want to download into the inbox."
        ),
    },
    "advice.caution.pop3_sent_on_server": {
        "it": Text(
            "La posta inviata già salvata sul server non arriverà nel client POP3: resterà "
            "consultabile dalla webmail."
        ),
        "en": Text(
            "The sent mail already stored on the server will not reach the POP3 client: you can "
            "still read it in webmail."
        ),
    },
    "advice.caution.pop3_no_uidl": {
        "it": Text(
            "Il server POP3 non offre UIDL: se lasci una copia sul server, il client potrebbe "
            "scaricare più volte gli stessi messaggi."
        ),
        "en": Text(
            "The POP3 server does not offer UIDL: if you leave a copy on the server, the client "
            "may download the same messages more than once."
        ),
    },
    "advice.caution.pop3_big_mailbox": {
        "it": Text(
            "Sul server ci sono {messages} messaggi, circa {megabytes} MB: il primo scaricamento "
            "POP3 durerà a lungo, avvialo con una connessione veloce."
        ),
        "en": Text(
            "The server holds {messages} messages, about {megabytes} MB: the first POP3 download "
            "will take a while, so start it on a fast connection."
        ),
    },
    "advice.caution.pop3_slow_link": {
        "it": Text(
            "Con una connessione lenta o a consumo POP3 scarica comunque ogni messaggio per "
            "intero: quando puoi, scarica la posta da una rete veloce."
        ),
        "en": Text(
            "On a slow or metered connection POP3 still downloads every message in full: fetch "
            "your mail from a fast network when you can."
        ),
    },
    "advice.caution.imap_no_pop3_mixing": {
        "it": Text(
            "Se un tuo dispositivo usa ancora POP3 e cancella i messaggi dal server, passalo a "
            "IMAP: altrimenti toglie la posta a tutti gli altri dispositivi e alla webmail."
        ),
        "en": Text(
            "If a device of yours still uses POP3 and deletes mail from the server, move it to "
            "IMAP: otherwise it takes the mail away from every other device and from webmail."
        ),
    },
    "advice.caution.imap_quota_fills": {
        "it": Text(
            "Con IMAP la posta resta sul server e col tempo riempie lo spazio del tuo piano: "
            "archivia o elimina i messaggi vecchi, oppure passa a un piano più capiente."
        ),
        "en": Text(
            "With IMAP mail stays on the server and in time fills your plan's space: archive or "
            "delete old messages, or move to a larger plan."
        ),
    },
    "advice.caution.imap_quota_high": {
        "it": Text(
            "La casella è già piena al {percent}% e con IMAP continuerà a riempirsi: archivia sul "
            "computer i messaggi vecchi o passa a un piano più capiente, prima che la posta nuova "
            "venga respinta."
        ),
        "en": Text(
            "The mailbox is already {percent}% full and with IMAP it keeps filling: archive old "
            "messages to your computer or move to a larger plan before new mail bounces."
        ),
    },
    "advice.caution.imap_offline_copy": {
        "it": Text(
            "Per leggere senza connessione attiva nel client IMAP la copia offline dei messaggi "
            "(in Thunderbird: Impostazioni account › Sincronizzazione e archiviazione); la posta "
            "resta anche sul server."
        ),
        "en": Text(
            "To read offline, turn on offline copies in the IMAP client (in Thunderbird: Account "
            "Settings › Synchronization & Storage); the mail stays on the server as well."
        ),
    },
    "advice.caution.encryption": {
        "it": Text(
            "Entrambi i protocolli viaggiano cifrati: nel client scegli SSL/TLS o STARTTLS, mai "
            "«Nessuna»."
        ),
        "en": Text(
            "Both protocols travel encrypted: in your client choose SSL/TLS or STARTTLS, never "
            "“None”."
        ),
    },
}


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, params: Mapping[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _Keep(params))


# A check's `step` (probes.base.Step, or an extra job's name) in words: the parameter keeps
# the token for staff and scripts, the message says it in the reader's language.
STEP_WORDS: Mapping[str, Mapping[str, str]] = {
    "resolve": {"it": "risoluzione del nome", "en": "name lookup"},
    "connect": {"it": "connessione", "en": "connecting"},
    "tls_handshake": {"it": "negoziazione TLS", "en": "TLS handshake"},
    "greeting": {"it": "saluto del server", "en": "server greeting"},
    "capabilities": {"it": "lettura delle funzioni del server", "en": "reading the server's capabilities"},
    "starttls": {"it": "avvio di STARTTLS", "en": "starting STARTTLS"},
    "client_address": {"it": "invio dell'indirizzo del cliente", "en": "announcing the customer's address"},
    "login": {"it": "accesso", "en": "login"},
    "list": {"it": "elenco delle cartelle", "en": "listing the folders"},
    "status": {"it": "conteggio dei messaggi", "en": "counting messages"},
    "examine": {"it": "apertura della posta in arrivo", "en": "opening the inbox"},
    "quota": {"it": "lettura della quota", "en": "reading the quota"},
    "stat": {"it": "conteggio dei messaggi POP3", "en": "counting POP3 messages"},
    "uidl": {"it": "lettura degli identificativi UIDL", "en": "reading UIDL identifiers"},
    "logout": {"it": "chiusura della sessione", "en": "logging out"},
    "dns": {"it": "verifica DNS", "en": "DNS check"},
    "wait": {"it": "attesa di un altro nostro accesso", "en": "waiting for another login of ours"},
    "discovery": {"it": "configurazione automatica", "en": "automatic setup"},
}


# Discovery's `reason` (a step's token, kept in its parameters for staff and scripts; the
# English detail with the library's words is in the step's data) in the reader's language.
# Filled with the step's parameters: host, ip, port, http_status, target, count, size_kb.
REASON_WORDS: Mapping[str, Mapping[str, str]] = {
    "time_ran_out": {"it": "il tempo dell'intera verifica è finito", "en": "the time for the whole check ran out"},
    "dns_timeout": {"it": "il DNS non ha risposto in tempo per {host}", "en": "no DNS answer for {host} in time"},
    "dns_failed": {"it": "la ricerca DNS di {host} non è riuscita", "en": "the DNS lookup of {host} failed"},
    "no_such_name": {"it": "il nome {host} non esiste", "en": "the name {host} does not exist"},
    "no_such_record": {"it": "il record non esiste", "en": "the record does not exist"},
    "no_address": {"it": "{host} non ha indirizzi", "en": "{host} has no address"},
    "internal_address": {"it": "{host} porta a {ip}", "en": "{host} resolves to {ip}"},
    "connect_timeout": {"it": "{host} porta {port} non ha risposto in tempo",
                        "en": "{host} port {port} did not answer in time"},
    "connect_failed": {"it": "{host} porta {port} non accetta connessioni",
                       "en": "{host} port {port} does not accept connections"},
    "cert_expired": {"it": "il certificato di {host} è scaduto", "en": "the certificate of {host} has expired"},
    "cert_not_yet_valid": {"it": "il certificato di {host} non è ancora valido",
                           "en": "the certificate of {host} is not valid yet"},
    "cert_hostname_mismatch": {"it": "il certificato non nomina {host}", "en": "the certificate does not name {host}"},
    "cert_untrusted": {"it": "il certificato di {host} non è firmato da un'autorità riconosciuta",
                       "en": "the certificate of {host} is not signed by a trusted authority"},
    "tls_timeout": {"it": "la negoziazione TLS con {host} non è finita in tempo",
                    "en": "the TLS handshake with {host} did not end in time"},
    "tls_handshake": {"it": "la negoziazione TLS con {host} non è riuscita",
                      "en": "the TLS handshake with {host} failed"},
    "http_timeout": {"it": "{host} non ha risposto in tempo", "en": "{host} did not answer in time"},
    "no_http_answer": {"it": "{host} non ha dato una risposta HTTP", "en": "{host} gave no HTTP answer"},
    "too_large": {"it": "il documento di {host} supera {size_kb} KiB",
                  "en": "the document of {host} is larger than {size_kb} KiB"},
    "not_http_url": {"it": "{target} non è un indirizzo http o https",
                     "en": "{target} is not an http or https address"},
    "redirect": {"it": "HTTP {http_status} verso {target}, non seguito",
                 "en": "HTTP {http_status} to {target}, not followed"},
    "redirect_not_https": {"it": "rinvia a {target}, che non è HTTPS",
                           "en": "it redirects to {target}, which is not HTTPS"},
    "redirect_loop": {"it": "un giro di rinvii che torna a {target}", "en": "a redirect loop back to {target}"},
    "too_many_redirects": {"it": "più di {count} rinvii", "en": "more than {count} redirects"},
    "http_status": {"it": "il server risponde HTTP {http_status}", "en": "the server answers HTTP {http_status}"},
    "http_not_redirect": {"it": "una risposta in HTTP invece di un rinvio a HTTPS",
                          "en": "an answer over HTTP instead of a redirect to HTTPS"},
    "no_dav_redirect": {"it": "nessun rinvio al server dei calendari o dei contatti",
                        "en": "no redirect to the calendar or contacts server"},
    "no_lookup": {"it": "nessuna ricerca fatta", "en": "no lookup was made"},
    "unusable_document": {"it": "non contiene impostazioni che il programma sappia usare",
                          "en": "it holds no settings the program can use"},
    "mx_in_domain": {"it": "il server MX {host} è nel dominio stesso, non c'è un altro posto dove cercare",
                     "en": "the MX host {host} is in the domain itself, there is no other place to look"},
    "ispdb": {"it": "è la banca dati di Thunderbird, gestita da Mozilla: non tocca a noi verificarla",
              "en": "Thunderbird's own database, run by Mozilla: not ours to check"},
    "signer_outside_dates": {"it": "un certificato della firma è fuori dalle sue date di validità",
                             "en": "a certificate of the signature is outside its validity dates"},
    "no_trusted_root": {"it": "nessuna autorità riconosciuta ha emesso la catena",
                        "en": "no trusted authority issued the chain"},
    "chain_too_long": {"it": "la catena dei certificati è troppo lunga", "en": "the certificate chain is too long"},
}

# tls.weak_key's `weakness` (OpenSSL's verify code, probes.base; the library's words stay in `reason`).
WEAKNESS_WORDS: Mapping[str, Mapping[str, str]] = {
    "key": {"it": "una chiave troppo corta", "en": "a key that is too short"},
    "ca_key": {"it": "un certificato intermedio con una chiave troppo corta",
               "en": "an intermediate certificate with a key that is too short"},
    "digest": {"it": "una firma con un algoritmo troppo debole (come SHA-1 o MD5)",
               "en": "a signature with an algorithm that is too weak (such as SHA-1 or MD5)"},
    "": {"it": "una chiave o una firma troppo debole", "en": "a key or signature that is too weak"},
}

# Counts that pick a singular or plural sentence: code → (param, the singular texts).
SINGULAR: Mapping[str, Mapping[str, Text]] = {
    "imap.unsubscribed_folders": {
        "it": Text(
            "Una cartella esiste sul server ma non è sottoscritta, quindi molti programmi non la "
            "mostrano: {folders}.",
            "Nel programma di posta apri «Sottoscrivi cartelle» (o «Gestisci sottoscrizioni») e spunta "
            "questa cartella.",
        ),
        "en": Text(
            "One folder exists on the server but is not subscribed, so many clients hide it: {folders}.",
            "In the mail client open “Subscribe…” (or “Manage subscriptions”) and tick this folder.",
        ),
    },
}


def _token(table: Mapping[str, Mapping[str, str]], token: object, lang: str) -> str | None:
    said = table.get(str(token))
    return None if said is None else (said.get(lang) or said["en"])


def words(code: str, lang: str, params: Mapping[str, Any] | None = None) -> Text:
    """The message and remedy for `code` in `lang` (falling back to English, then the code)."""
    entry = CATALOGUE.get(code)
    if entry is None:
        return Text(code)
    text = entry.get(lang) or entry["en"]
    values = dict(params or {})
    step = STEP_WORDS.get(str(values.get("step")))
    if step is not None:
        values["step"] = step.get(lang) or step["en"]
    if code.startswith("discovery.") and (reason := _token(REASON_WORDS, values.get("reason"), lang)) is not None:
        values["reason"] = _fill(reason, values)
    if code == "tls.weak_key":
        values["weakness"] = (_token(WEAKNESS_WORDS, values.get("weakness", ""), lang)
                              or _token(WEAKNESS_WORDS, "", lang))
    singular = SINGULAR.get(code)
    if singular is not None and str(values.get("count")) == "1":
        text = singular.get(lang) or singular["en"]
    return Text(_fill(text.message, values), _fill(text.remedy, values) if text.remedy else None)
