"""How people type identifiers: phone and email spelling variants, vectorised with pyarrow."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Phone spellings, by style index: 0 ``5550101234``, 1 ``+1 (555) 010-1234``,
#: 2 ``555-010-1234``, 3 ``(555) 010-1234``, 4 ``+15550101234``, 5 ``555.010.1234``.
N_PHONE_STYLES = 6
#: Email spellings: 0 as is, 1 upper case, 2 capitalised, 3 padded with spaces, 4 upper and padded.
N_EMAIL_STYLES = 5


def phone_digits(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ten-digit North American numbers (area and exchange 200-989), as int64."""
    area = rng.integers(200, 990, size=n)
    exchange = rng.integers(200, 1000, size=n)
    line = rng.integers(0, 10_000, size=n)
    return (area * 10_000_000 + exchange * 10_000 + line).astype(np.int64)


def format_phones(digits: np.ndarray, style: np.ndarray) -> pa.Array:
    """Spell each ten-digit number in its style (see ``N_PHONE_STYLES``)."""
    s = pc.cast(pa.array(np.asarray(digits, dtype=np.int64)), pa.string())
    area = pc.utf8_slice_codeunits(s, 0, 3)
    exchange = pc.utf8_slice_codeunits(s, 3, 6)
    line = pc.utf8_slice_codeunits(s, 6, 10)
    join = pc.binary_join_element_wise
    variants = [
        s,
        join("+1 (", area, ") ", exchange, "-", line, ""),
        join(area, "-", exchange, "-", line, ""),
        join("(", area, ") ", exchange, "-", line, ""),
        join("+1", s, ""),
        join(area, ".", exchange, ".", line, ""),
    ]
    return pc.choose(pa.array(np.asarray(style, dtype=np.int8)), *variants)


def format_emails(emails: pa.Array, style: np.ndarray) -> pa.Array:
    """Spell each (lower-case) email in its style (see ``N_EMAIL_STYLES``)."""
    upper = pc.utf8_upper(emails)
    variants = [
        emails,
        upper,
        pc.utf8_capitalize(emails),
        pc.binary_join_element_wise(" ", emails, " ", ""),
        pc.binary_join_element_wise(" ", upper, ""),
    ]
    return pc.choose(pa.array(np.asarray(style, dtype=np.int8)), *variants)


def messy_style(rng: np.random.Generator, n: int, n_styles: int, clean_share: float) -> np.ndarray:
    """Style 0 for ``clean_share`` of rows, otherwise any other style."""
    style = rng.integers(1, n_styles, size=n)
    style[rng.random(n) < clean_share] = 0
    return style


def with_nulls(values: pa.Array, null_mask: np.ndarray) -> pa.Array:
    """Null out the rows where ``null_mask`` is True."""
    return pc.if_else(
        pa.array(np.asarray(null_mask, dtype=bool)), pa.nulls(1, values.type)[0], values
    )
