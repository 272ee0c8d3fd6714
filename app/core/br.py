"""Brazilian documents: CNPJ (numeric and the alphanumeric form in use since July 2026) and CPF.

Validation and formatting shared by forms, the ERP sync and the demo data. A CNPJ's twelve
first characters may be digits or capital letters; each counts as its ASCII code minus 48
(so digits keep their value and A = 17) in the usual modulo-11 check digits, which stay
numeric.
"""
import re

_CNPJ_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_BODY = re.compile(r"[0-9A-Z]{12}")
_SEPARATORS = re.compile(r"[\s./-]")


def _mod11(values, weights) -> str:
    remainder = sum(v * w for v, w in zip(values, weights)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def _normalize(value: str | None) -> str:
    return _SEPARATORS.sub("", value or "").upper()


def cnpj_check_digits(body: str) -> str:
    """The two check digits of a 12-character CNPJ body (root + order)."""
    if not _CNPJ_BODY.fullmatch(body):
        raise ValueError(f"invalid CNPJ body {body!r}")
    values = [ord(char) - 48 for char in body]
    first = _mod11(values, _CNPJ_WEIGHTS[1:])
    second = _mod11([*values, int(first)], _CNPJ_WEIGHTS)
    return first + second


def is_valid_cnpj(value: str | None) -> bool:
    cnpj = _normalize(value)
    if len(cnpj) != 14 or not cnpj[12:].isdigit() or not _CNPJ_BODY.fullmatch(cnpj[:12]):
        return False
    if len(set(cnpj)) == 1:
        return False
    return cnpj_check_digits(cnpj[:12]) == cnpj[12:]


def cpf_check_digits(body: str) -> str:
    """The two check digits of the nine first digits of a CPF."""
    if not (len(body) == 9 and body.isdigit()):
        raise ValueError(f"invalid CPF body {body!r}")
    digits = [int(char) for char in body]
    first = sum(d * w for d, w in zip(digits, range(10, 1, -1))) * 10 % 11 % 10
    second = sum(d * w for d, w in zip([*digits, first], range(11, 1, -1))) * 10 % 11 % 10
    return f"{first}{second}"


def is_valid_cpf(value: str | None) -> bool:
    cpf = _normalize(value)
    if len(cpf) != 11 or not cpf.isdigit() or len(set(cpf)) == 1:
        return False
    return cpf_check_digits(cpf[:9]) == cpf[9:]


def is_valid_cnpj_cpf(value: str | None) -> bool:
    """A client's document: CNPJ (company) or CPF (person)."""
    return is_valid_cnpj(value) or is_valid_cpf(value)


def format_cnpj(value: str) -> str:
    """``12.345.678/0001-95``; raises ValueError for anything but a valid CNPJ."""
    cnpj = _normalize(value)
    if not is_valid_cnpj(cnpj):
        raise ValueError(f"invalid CNPJ {value!r}")
    return f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"


def format_cpf(value: str) -> str:
    """``123.456.789-09``; raises ValueError for anything but a valid CPF."""
    cpf = _normalize(value)
    if not is_valid_cpf(cpf):
        raise ValueError(f"invalid CPF {value!r}")
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def format_cnpj_cpf(value: str) -> str:
    return format_cpf(value) if is_valid_cpf(value) else format_cnpj(value)
