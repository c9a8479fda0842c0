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
    "dns.lookup_failed": {
        "it": Text(
            "La ricerca DNS di {name} ({rtype}) non è riuscita ({reason}): non si può dire se il "
            "record c'è.",
            "Riprova tra qualche minuto; se l'errore resta, i server DNS del dominio non rispondono "
            "bene e va avvisato chi li gestisce.",
        ),
        "en": Text(
            "The DNS lookup of {name} ({rtype}) failed ({reason}): whether the record exists cannot "
            "be told.",
            "Try again in a few minutes; if it keeps failing, the domain's DNS servers are not "
            "answering properly and whoever runs them should be told.",
        ),
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
            "Sul server ci sono già {folders} cartelle tue: un client POP3 vedrebbe soltanto la "
            "Posta in arrivo."
        ),
        "en": Text(
            "Your mailbox already has {folders} folders of your own on the server: a POP3 client "
            "would see only the inbox."
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


def words(code: str, lang: str, params: Mapping[str, Any] | None = None) -> Text:
    """The message and remedy for `code` in `lang` (falling back to English, then the code)."""
    entry = CATALOGUE.get(code)
    if entry is None:
        return Text(code)
    text = entry.get(lang) or entry["en"]
    values = params or {}
    return Text(_fill(text.message, values), _fill(text.remedy, values) if text.remedy else None)
