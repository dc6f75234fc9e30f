"""Small frames as markdown tables for Dagster metadata (the UI renders them)."""

import polars as pl


def markdown_table(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "(no rows)"
    cells = [
        [("" if v is None else str(v)).replace("|", "\\|").replace("\n", " ") for v in row]
        for row in frame.rows()
    ]
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
