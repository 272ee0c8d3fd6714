"""Numbers as a Brazilian reads them (`1.234`, `3,6 KB`), through Flask-Babel's locale (pt_BR):
the `numero` and `tamanho` Jinja filters and the columns that show counts or sizes."""
from flask_babel import format_decimal, format_number


def format_integer(value) -> str:
    """126000 → "126.000"; blank for None."""
    return "" if value is None else format_number(value)


SIZE_UNITS = ("KB", "MB", "GB")


def format_size(size) -> str:
    """A file size in bytes → "812 bytes", "3,6 KB", "1,2 MB"; blank for None."""
    if size is None:
        return ""
    if size < 1024:
        return f"{format_number(size)} bytes"
    value, unit = size / 1024, 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{format_decimal(value, format='#,##0.#')} {SIZE_UNITS[unit]}"


def format_tenths(value) -> str:
    """92.46 → "92,5", 1234.0 → "1.234,0" (percentages, hours); blank for None."""
    return "" if value is None else format_decimal(round(value, 1), format="#,##0.0")
