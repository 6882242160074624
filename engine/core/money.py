"""Money is Decimal, read exactly as written, rounded half-up to the cent (docs/spec.md 2)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
NNBSP, NBSP = "\u202f", "\u00a0"
ZERO = Decimal("0.00")
_AMOUNT = re.compile(r"^[+-]?\d+(\.\d+)?$")
_MAX = Decimal("1e12")


class AmountError(ValueError):
    pass


def parse_amount(raw: object, *, allow_zero: bool = True) -> Decimal:
    """Read `"1000.00"`, `1000.00` or `1000` exactly; at most two decimals, never negative.

    The scenario loader hands YAML floats over as Decimal built from their text, so no binary
    floating point is ever involved; a Python float given through the API is read by its repr.
    """
    if isinstance(raw, bool):
        raise AmountError(f"expected an amount, got {raw!r}")
    if isinstance(raw, float):
        raw = repr(raw)
    if isinstance(raw, int):
        raw = str(raw)
    if isinstance(raw, Decimal):
        if raw.is_finite() and raw and not -30 <= raw.adjusted() <= 30:
            # refused before format() writes out its digits (1E+999999999: a billion of them)
            raise AmountError(f"amount {raw} is too large" if raw.adjusted() > 0 else
                              f"amount {raw} has more than two decimals")
        raw = format(raw, "f") if raw.is_finite() else str(raw)
    if not isinstance(raw, str) or not _AMOUNT.match(raw.strip()):
        raise AmountError(f"expected an amount such as \"1000.00\", got {raw!r}")
    value = Decimal(raw.strip())
    exponent = value.as_tuple().exponent  # an int: the pattern above admits no NaN or infinity
    if isinstance(exponent, int) and exponent < -2:
        raise AmountError(f"amount {raw} has more than two decimals")
    if value < 0:
        raise AmountError(f"amount {raw} is negative")
    if value == 0 and not allow_zero:
        raise AmountError(f"amount {raw} is zero")
    if value >= _MAX:
        raise AmountError(f"amount {raw} is too large")
    return value.quantize(CENT)


def round_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """Two decimals, never ``-0.00``."""
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if q == 0:
        q = ZERO
    return f"{q:.2f}"


def amount_text(a: Decimal, lang: str = "en") -> str:
    """An amount as a reader of ``lang`` writes it: 1000.00 in English, 1 000,00 € in French."""
    text = fmt(a)
    if lang != "fr":
        return text
    sign = "-" if text.startswith("-") else ""
    whole, cents = text.lstrip("-").split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    # French typography: a narrow no-break space between thousands, a no-break space before €,
    # so that an amount never breaks across lines.
    return f"{sign}{NNBSP.join(groups)},{cents}{NBSP}€"  # 1 000,00 €
