"""The watch: our own servers checked every `[watch] interval_s`, before customers call.

`endpoints` lists what to check (pure), `checks` runs one round with the diagnosis
probes (never a login), `incidents` turns rounds into incidents (pure), `store` keeps
it all in the reports database, `lock` lets one watcher run at a time, `runner` loops,
`view` is what the web side reads (status, banner, metrics, known incidents).
"""
