"""CNPJ (numeric and alphanumeric) and CPF check digits and formatting."""
import pytest

from app.core.br import (
    cnpj_check_digits, format_cnpj, format_cnpj_cpf, format_cpf, is_valid_cnpj, is_valid_cnpj_cpf,
    is_valid_cpf,
)


@pytest.mark.parametrize("value", [
    "11.222.333/0001-81", "11222333000181", "42.318.949/0001-84", " 42318949/0001-84 ",
    "12.ABC.345/01DE-35",   # the Receita Federal's alphanumeric example
    "12.abc.345/01de-35",   # typed in lower case
])
def test_valid_cnpj(value):
    assert is_valid_cnpj(value)
    assert is_valid_cnpj_cpf(value)


@pytest.mark.parametrize("value", [
    "11.222.333/0001-82", "11.222.333/0001-18", "00.000.000/0000-00", "11.111.111/1111-11",
    "1122233300018", "112223330001810", "12.ABC.345/01DE-3A", "12.ABÇ.345/01DE-35", "", None,
    "529.982.247-25",
])
def test_invalid_cnpj(value):
    assert not is_valid_cnpj(value)


@pytest.mark.parametrize("value", ["529.982.247-25", "52998224725", "111.444.777-35"])
def test_valid_cpf(value):
    assert is_valid_cpf(value)
    assert is_valid_cnpj_cpf(value)


@pytest.mark.parametrize("value", ["529.982.247-26", "111.111.111-11", "5299822472", "5299822472A",
                                   "", None])
def test_invalid_cpf(value):
    assert not is_valid_cpf(value)


def test_check_digits_and_formatting():
    assert cnpj_check_digits("112223330001") == "81"
    assert cnpj_check_digits("12ABC34501DE") == "35"
    assert format_cnpj("11222333000181") == "11.222.333/0001-81"
    assert format_cnpj("12abc34501de35") == "12.ABC.345/01DE-35"
    assert format_cpf("52998224725") == "529.982.247-25"
    assert format_cnpj_cpf("52998224725") == "529.982.247-25"
    assert format_cnpj_cpf("11.222.333/0001-81") == "11.222.333/0001-81"
    with pytest.raises(ValueError):
        format_cnpj("11.222.333/0001-82")
    with pytest.raises(ValueError):
        format_cnpj_cpf("529.982.247-26")
