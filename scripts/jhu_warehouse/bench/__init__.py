"""The bench stage: JHU-shaped data at scale k (`generate`), the benchmark (`runner`), and two
reference implementations of the marts outside dbt (`reference`)."""
