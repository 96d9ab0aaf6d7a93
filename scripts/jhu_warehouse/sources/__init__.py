"""Where the data comes from: the JHU files as data (`jhu_files`) and fetching them (`fetch`).

A shared lower layer: every stage may read it; it imports nothing of the stages.
"""
