"""Read one landing file into an all-text polars frame named by contract columns.

Reading is format-specific (CSV, XLSX, JSON Lines); everything after it is not.
Every cell comes back as text (long ids would otherwise turn into scientific
notation) together with its 1-based data row number. Problems that make a whole
file unreadable raise ``UnreadableFile``; problems with single rows come back
as structural rejects so the rest of the file still loads.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sources.contracts import Contract, load_contracts

ROW_NUMBER = "_row_number"
EXTRA = "_extra"
UTF8_BOM = b"\xef\xbb\xbf"


class UnreadableFile(Exception):
    """The file cannot be read at all; the message names the file and the problem."""

    def __init__(self, source_file: str, problem: str):
        super().__init__(f"{source_file}: {problem}")
        self.source_file = source_file
        self.problem = problem


@dataclass
class RawFile:
    frame: pl.DataFrame  # contract columns as text + _row_number + _extra
    encoding: str
    rejects: list[dict] = field(default_factory=list)  # rows the reader could not split
    unmapped_headers: list[str] = field(default_factory=list)


def read_landing_file(path: Path, source_file: str, contract: Contract) -> RawFile:
    suffix = path.suffix.lower()
    if suffix == ".xlsx" and "xlsx" in contract.formats:
        return _read_xlsx(path, source_file, contract)
    if suffix == ".csv" and "csv" in contract.formats:
        return _read_csv(path, source_file, contract)
    if suffix in {".jsonl", ".json", ".ndjson"} and "jsonl" in contract.formats:
        return _read_jsonl(path, source_file, contract)
    raise UnreadableFile(
        source_file,
        f"{suffix or 'no extension'} is not a format of {contract.source} ({', '.join(contract.formats)})",
    )


def decode(data: bytes, source_file: str, encodings: tuple[str, ...]) -> tuple[str, str]:
    """Decode export bytes; returns (text, encoding name).

    UTF-8 is always tried before GB18030 because GB18030 accepts nearly any
    byte string and would silently garble UTF-8 exports. A character cut in half
    at the very end (a truncated file) is dropped: the last row then ends without
    a line break and is rejected as cut off, instead of the whole file failing.
    """
    if data.startswith(UTF8_BOM):
        try:
            return _decode_allowing_a_cut_end(data[len(UTF8_BOM) :], "utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                source_file,
                f"has a UTF-8 BOM but invalid UTF-8 at byte {exc.start + 3} (line {_line_of(data, exc.start + 3)})",
            ) from exc
    try:
        return _decode_allowing_a_cut_end(data, "utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        if not {"gb18030", "gbk"} & set(encodings):
            raise UnreadableFile(
                source_file,
                f"not valid UTF-8 (byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}, "
                f"line {_line_of(data, utf8_error.start)}); accepted encodings: {', '.join(encodings)}",
            ) from utf8_error
        try:
            return _decode_gb18030_with_utf8_lines(data)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                source_file, f"neither UTF-8 nor GB18030 (undecodable byte at offset {exc.start})"
            ) from exc


def _decode_allowing_a_cut_end(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and b"\n" not in data[exc.start :]:  # a character cut off at the end
            return data[: exc.start].decode(encoding)
        raise


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_like_utf8(line: bytes) -> bool:
    """A non-ASCII line that is valid UTF-8 and has no U+0080..U+07FF characters (Latin, Greek,
    Cyrillic, Arabic: what GBK bytes read as UTF-8 turn into; Chinese text in UTF-8 is 3 bytes)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any("\u0080" <= ch <= "\u07ff" and ch not in "·×°" for ch in text)


def _decode_gb18030_with_utf8_lines(data: bytes) -> tuple[str, str]:
    """A GBK/GB18030 export, decoded line by line when some lines are UTF-8 (rows pasted in
    from another export): each line in its own encoding, reported as ``gb18030+utf-8``."""
    lines = data.split(b"\n")
    utf8 = [i for i, line in enumerate(lines) if not line.isascii() and _looks_like_utf8(line)]
    if not utf8:
        return _decode_allowing_a_cut_end(data, "gb18030"), "gb18030"
    marked = set(utf8)
    text = "\n".join(
        line.decode("utf-8") if i in marked else _decode_allowing_a_cut_end(line, "gb18030")
        for i, line in enumerate(lines)
    )
    return text, "gb18030+utf-8"


def map_headers(headers: list[str], contract: Contract, source_file: str) -> tuple[dict[str, str], list[str]]:
    """Map export headers to contract column names (first occurrence wins).

    Returns ({export header: column name}, unmapped headers). A missing
    required column makes the file unreadable.
    """
    by_name: dict[str, str] = {}
    taken: set[str] = set()
    unmapped = []
    lookup = {name: col.name for col in contract.columns for name in col.source_names}
    for header in headers:
        stripped = header.strip().lstrip("\ufeff").strip()
        column = lookup.get(stripped)
        if column is None or column in taken:
            unmapped.append(header)
            continue
        by_name[header] = column
        taken.add(column)
    _refuse_another_sources_export(headers, contract, source_file, matched=len(by_name))
    missing = [c for c in contract.required_columns if c.name not in taken]
    if missing:
        names = "; ".join(" / ".join(c.source_names) for c in missing)
        raise UnreadableFile(source_file, f"missing required column(s) {names} for {contract.source}")
    return by_name, unmapped


def _refuse_another_sources_export(
    headers: list[str], contract: Contract, source_file: str, matched: int
) -> None:
    """An export dropped into the wrong source folder (ERP sales lines in tmall_orders/ share
    订单编号, 店铺名称 and 订单状态) would load as garbage: refuse a file whose headers match
    another source's contract better than this one's."""
    names = {h.strip().lstrip("\ufeff").strip() for h in headers}
    best, best_count = None, matched
    for other in load_contracts().values():
        if other.source == contract.source or other.is_json:
            continue
        count = sum(1 for col in other.columns if names & set(col.source_names))
        if count > best_count:
            best, best_count = other.source, count
    if best:
        raise UnreadableFile(
            source_file,
            f"headers are those of a {best} export ({best_count} of its columns, {matched} of {contract.source}'s); "
            f"move the file to the {best}/ folder",
        )


def _to_contract_frame(frame: pl.DataFrame, contract: Contract, source_file: str) -> RawFile:
    """Rename to contract columns, add the absent ones as null, pack the rest into _extra."""
    headers = [c for c in frame.columns if c != ROW_NUMBER]
    mapping, unmapped = map_headers(headers, contract, source_file)
    present = set(mapping.values())
    columns = [pl.col(h).alias(c) for h, c in mapping.items()]
    columns += [pl.lit(None, pl.String).alias(c.name) for c in contract.columns if c.name not in present]
    extra = (
        pl.struct([pl.col(h).alias(h.strip()) for h in unmapped]).struct.json_encode()
        if unmapped
        else pl.lit(None, pl.String)
    )
    out = frame.select(pl.col(ROW_NUMBER).cast(pl.Int64), *columns, extra.alias(EXTRA)).select(
        ROW_NUMBER, *[c.name for c in contract.columns], EXTRA
    )
    return RawFile(frame=out, encoding="", unmapped_headers=unmapped)


def _read_csv(path: Path, source_file: str, contract: Contract) -> RawFile:
    data = path.read_bytes()
    text, encoding = decode(data, source_file, contract.encodings)
    if not text.strip():
        raise UnreadableFile(source_file, "file is empty (no header row)")
    # polars reads UTF-8 bytes: hand it the file itself unless decoding changed them
    payload = data if encoding == "utf-8" and data.endswith((b"\n", b"\r")) else text.encode("utf-8")
    rejects: list[dict] = []
    try:
        frame = pl.read_csv(
            io.BytesIO(payload),
            infer_schema=False,
            has_header=True,
            quote_char='"',
            raise_if_empty=False,
        ).with_row_index(ROW_NUMBER, offset=1)
        if _has_short_lines(text, frame.width - 1):
            raise pl.exceptions.ComputeError("a row with too few fields")
    except pl.exceptions.ComputeError:
        # A row with the wrong number of fields: split the file with the csv
        # module (slow, only for broken files) and reject just those rows.
        frame, rejects = _read_csv_row_by_row(text, contract.source, source_file)
    raw = _to_contract_frame(frame, contract, source_file)
    if not text.endswith(("\n", "\r")):
        _reject_a_cut_off_last_row(raw, rejects, text, contract.source, source_file)
    raw.encoding, raw.rejects = encoding, rejects
    return raw


def _has_short_lines(text: str, fields: int) -> bool:
    """polars fills a row with too few fields (a cell broken by an unquoted line break) with
    nulls instead of failing. Such rows show as lines without quotes holding fewer than
    ``fields - 1`` commas (lines with quotes may hold commas inside cells: those polars checks)."""
    lines = pl.Series([text]).str.split("\n").explode()  # split in Rust: no Python string per line
    short = (
        lines.str.strip_chars().ne("")
        & ~lines.str.contains('"', literal=True)
        & (lines.str.count_matches(",", literal=True) < fields - 1)
    )
    return bool(short.any())


def _reject_a_cut_off_last_row(
    raw: RawFile, rejects: list[dict], text: str, source: str, source_file: str
) -> None:
    """Every export ends its last row with a line break; a file without one was cut off (an
    interrupted download or copy), so its last row may hold half a value (``199.00`` -> ``19``)."""
    if raw.frame.is_empty():
        return
    last = raw.frame[ROW_NUMBER].max()
    if any(r["row_number"] > last for r in rejects):  # the cut row already failed to split
        return
    raw.frame = raw.frame.filter(pl.col(ROW_NUMBER) != last)
    rejects.append(
        {
            "source": source,
            "source_file": source_file,
            "row_number": last,
            "column_name": "_row",
            "raw_value": text.rsplit("\n", 1)[-1][:500],
            "reason": "file ends without a line break: the last row may be cut off (truncated export)",
        }
    )


def _read_csv_row_by_row(text: str, source: str, source_file: str) -> tuple[pl.DataFrame, list[dict]]:
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows)
    good: list[list[str]] = []
    numbers: list[int] = []
    rejects = []
    for number, row in enumerate(rows, start=1):
        if not row:
            continue
        if len(row) != len(header):
            rejects.append(
                {
                    "source": source,
                    "source_file": source_file,
                    "row_number": number,
                    "column_name": "_row",
                    "raw_value": ",".join(row)[:500],
                    "reason": f"expected {len(header)} fields, found {len(row)}",
                }
            )
            continue
        good.append(row)
        numbers.append(number)
    names = _dedupe_names(header)
    frame = pl.DataFrame(
        {name: [r[i] or None for r in good] for i, name in enumerate(names)},
        schema={n: pl.String for n in names},
    ).with_columns(pl.Series(ROW_NUMBER, numbers, dtype=pl.Int64))
    return frame, rejects


def _dedupe_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for name in header:
        count = seen.get(name, 0)
        names.append(name if count == 0 else f"{name}_duplicated_{count - 1}")
        seen[name] = count + 1
    return names


def _read_xlsx(path: Path, source_file: str, contract: Contract) -> RawFile:
    import fastexcel  # calamine: a fast, maintained XLSX reader

    try:
        sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=0, dtypes="string")
        batch, errors = sheet.to_arrow_with_errors()
        frame = pl.from_arrow(batch)
    except Exception as exc:  # fastexcel raises its own error types for broken zips/sheets
        raise UnreadableFile(source_file, f"cannot read XLSX ({type(exc).__name__}: {exc})") from exc
    if errors:
        frame = _with_error_values(frame, errors.errors, source_file)
    if not frame.columns:
        raise UnreadableFile(source_file, "XLSX first sheet is empty (no header row)")
    frame = frame.with_row_index(ROW_NUMBER, offset=1)
    # Spreadsheets often end with formatted but empty rows: they are not records.
    values = [c for c in frame.columns if c != ROW_NUMBER]
    frame = frame.filter(~pl.all_horizontal(pl.col(values).is_null()))
    raw = _to_contract_frame(frame, contract, source_file)
    raw.encoding = "xlsx"
    return raw


# calamine's names of the error values an XLSX cell can hold (t="e"), and the text Excel shows.
_CALAMINE_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}
_CALAMINE_ERROR = re.compile(r"'Error\((\w+)\)'")


def _with_error_values(frame: pl.DataFrame, errors: list, source_file: str) -> pl.DataFrame:
    """An error cell comes back from fastexcel as no value: put back the text Excel shows
    (``#VALUE!``), so the typing rejects it exactly like the same cell of a CSV re-save."""
    cells: dict[int, tuple[list[int], list[str]]] = {}
    for error in errors:
        row, column = error.offset_position
        found = _CALAMINE_ERROR.search(error.detail)
        if not found:  # not an error cell: a value fastexcel could not give as text, never seen
            raise UnreadableFile(source_file, f"data row {row + 1}, column {column + 1}: {error.detail}")
        rows, values = cells.setdefault(column, ([], []))
        rows.append(row)
        values.append(_CALAMINE_ERRORS.get(found[1], f"#{found[1].upper()}"))
    return frame.with_columns(
        frame.to_series(column).clone().scatter(rows, values) for column, (rows, values) in cells.items()
    )


def _read_jsonl(path: Path, source_file: str, contract: Contract) -> RawFile:
    data = path.read_bytes()
    text, encoding = decode(data, source_file, contract.encodings or ("utf-8",))
    if encoding != "utf-8":
        data = text.encode("utf-8")
    schema = _json_schema(contract)
    rejects: list[dict] = []
    try:
        frame = pl.read_ndjson(io.BytesIO(data), schema=schema)
        line_numbers = _nonblank_line_numbers(data)
    except pl.exceptions.ComputeError:
        # Bad lines are nearly always cut off or not objects at all: drop those by shape (cheap),
        # and parse every line on its own only when something subtler is still wrong.
        for thorough in (False, True):
            good, line_numbers, rejects = _split_valid_json_lines(
                data, contract.source, source_file, thorough
            )
            try:
                frame = (
                    pl.read_ndjson(io.BytesIO(good), schema=schema)
                    if line_numbers
                    else pl.DataFrame(schema=schema)
                )
                break
            except pl.exceptions.ComputeError:
                if thorough:
                    raise UnreadableFile(source_file, "JSON Lines file could not be parsed") from None
    if frame.height != len(line_numbers):
        raise UnreadableFile(source_file, "JSON Lines file could not be split into one object per line")
    columns = [_json_column(col.path).alias(col.name) for col in contract.columns]
    out = frame.select(
        pl.Series(ROW_NUMBER, line_numbers, dtype=pl.Int64), *columns, pl.lit(None, pl.String).alias(EXTRA)
    )
    return RawFile(frame=out, encoding=encoding, rejects=rejects)


def _json_schema(contract: Contract) -> dict[str, pl.DataType]:
    """Every leaf as text; nested objects as structs of text (numbers and lists come back as text)."""
    roots: dict[str, set[str]] = {}
    for col in contract.columns:
        root, _, rest = col.path.partition(".")
        roots.setdefault(root, set())
        if rest:
            roots[root].add(rest.split(".")[0])
    return {
        root: pl.Struct({f: pl.String for f in sorted(fields)}) if fields else pl.String
        for root, fields in roots.items()
    }


def _json_column(path: str) -> pl.Expr:
    root, _, rest = path.partition(".")
    return pl.col(root).struct.field(rest) if rest else pl.col(root)


def _nonblank_line_numbers(data: bytes) -> list[int]:
    return [i for i, line in enumerate(data.split(b"\n"), start=1) if line.strip()]


def _split_valid_json_lines(
    data: bytes,
    source: str,
    source_file: str,
    thorough: bool,
) -> tuple[bytes, list[int], list[dict]]:
    """Keep the lines that look like JSON objects ({...}; parsed one by one when ``thorough``);
    the others become row rejects."""
    lines = pl.Series("line", data.decode("utf-8").split("\n"))
    checked = lines.to_frame().with_row_index("n", offset=1).filter(pl.col("line").str.strip_chars() != "")
    stripped = pl.col("line").str.strip_chars()
    shaped = stripped.str.starts_with("{") & stripped.str.ends_with("}")
    checked = checked.with_columns(
        ok=shaped & pl.col("line").str.json_path_match("$").is_not_null() if thorough else shaped
    )
    bad = checked.filter(~pl.col("ok"))
    rejects = [
        {
            "source": source,
            "source_file": source_file,
            "row_number": n,
            "column_name": "_line",
            "raw_value": line[:500],
            "reason": "malformed JSON line",
        }
        for n, line in bad.select("n", "line").iter_rows()
    ]
    good = checked.filter(pl.col("ok"))
    payload = "\n".join(good["line"].to_list()).encode("utf-8")
    return payload, good["n"].to_list(), rejects
