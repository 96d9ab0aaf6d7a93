"""The report stage (`jhu report`): the current export's marts as a static page in the lake,
`report/index.html`, that opens from disk with no network. `stage.write_report` runs it: the
marts through the export manifest (`marts`), each chart's data (`data`), the page and its
assets (`render`, with `static/`), published page last (`site`)."""
