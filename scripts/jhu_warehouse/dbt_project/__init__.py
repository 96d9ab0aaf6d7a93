"""The dbt project as the Python side sees it: its folders, its command line, its artefacts.

A shared lower layer. The build runs dbt; the export and the project checker read what dbt
wrote. They all find dbt's files, name the marts and derive a mart's key here, one way, so the
export's order and the checker's rules cannot disagree about what a mart is.
"""
