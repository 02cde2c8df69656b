# ruff: noqa: E501  (the Markdown tables and notes are kept on one line each)
"""Generate ``docs/frames-portfolio.md``: prose plus column tables from ``FrameSchema.describe()``.

Run ``python docs/make_portfolio_frames.py [path]`` after changing a Portfolio schema;
``tests/frames/test_portfolio_frames.py`` fails while the page differs from what this renders.
A docs tool, kept outside the package (like ``docs/make_images.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inchframe.frames import portfolio_v4 as v4  # noqa: E402 - after the path is set
from inchframe.frames import portfolio_v5 as v5  # noqa: E402
from inchframe.frames._portfolio import schema_markdown as md  # noqa: E402


def section(module: ModuleType, const: str, call: str, endpoint: str, notes: str = "") -> str:
    """One frame's heading, description, key and column table."""
    s = getattr(module, const)
    key = ", ".join(f"`{k}`" for k in s.key) or "none"
    out = [
        f"### `{module.__name__.split('.')[-1]}.{const}` ({endpoint})",
        "",
        f"Converter: `{call}`. {s.description}",
        "",
        f"Key: {key}.",
        "",
    ]
    if notes:
        out += [notes, ""]
    out += [md(s), ""]
    return "\n".join(out)


_HEAD = r"""# Portfolio API frames (`inchframe.frames.portfolio_v5`, `inchframe.frames.portfolio_v4`)

Pure converters from 1inch Portfolio API v5.0 and v4 payloads ([api-contract.md](api-contract.md#endpoints)
sections 4 and 5) to tidy pandas frames. Nothing here does I/O. Each converter takes an iterable
of `(context, payload)` pairs, one per response, and builds **one** frame for the whole batch
from column lists (no per-row DataFrame appends). A 100,000-row tokens snapshot
(100 responses of 1,000 items) builds in about 1.5 s.

```python
from inchframe.frames import portfolio_v5 as pf5, portfolio_v4 as pf4
from inchframe.frames.reconcile import reconcile

batch = [({"addresses": chunk, "chain_id": None}, body) for chunk, body in fetched]
tokens = pf5.tokens_snapshot(batch)
one = pf5.tokens_snapshot(pf5.single(body, addresses=[wallet]))      # one response
check = reconcile(tokens, pf5.protocols_snapshot(pbatch), pf5.current_value(cbatch))
```

## The context

`context` describes the request behind the payload: a mapping (or any object with these
attributes). Every key is optional; a tuple or list is rejected with a `TypeError`.

| key | type | used for |
|---|---|---|
| `addresses` | list of str (lowercase; upper case is lowered) | `wallet` when the request had one address; `wallets` (comma-joined) on aggregate rows; the v4 `position_index` when an item has no `addresses`; one `address_check` row per address when the body has an unknown shape |
| `chain_id` | int or None | `chain_id` of rows the API does not give a chain (totals, metrics with a string index, charts); fallback when an item's chain is null |
| `timerange` | str or None | the `timerange` column of charts, metrics, profit-and-loss and v4 erc20 details |
| `timestamp` | int or None | accepted (the snapshot's own `timestamp` field is what the frame shows) |

## Converters

All take `responses: Iterable[tuple[context, payload]]`.

| endpoint (error name) | converter | returns |
|---|---|---|
| v5.0 `tokens/snapshot` (`v5.tokens_snapshot`) | `portfolio_v5.tokens_snapshot` | `TOKENS_SNAPSHOT` |
| v5.0 `protocols/snapshot` (`v5.protocols_snapshot`) | `portfolio_v5.protocols_snapshot` | `PROTOCOLS_SNAPSHOT` |
| v5.0 `tokens/metrics` (`v5.tokens_metrics`) | `portfolio_v5.tokens_metrics` | `TOKENS_METRICS` |
| v5.0 `protocols/metrics` (`v5.protocols_metrics`) | `portfolio_v5.protocols_metrics` | `PROTOCOLS_METRICS` |
| v5.0 `general/current_value` (`v5.current_value`) | `portfolio_v5.current_value` | `CURRENT_VALUE` |
| v5.0 `general/chart` (`v5.chart`) | `portfolio_v5.chart` | `CHART` |
| v5.0 `general/report` (`v5.report`) | `portfolio_v5.report` | `REPORT` (+ the CSV's columns) |
| v5.0 `general/status` (`v5.status`) | `portfolio_v5.status` | `bool` (all responses say available) |
| v5.0 `general/address_check` (`v5.address_check`) | `portfolio_v5.address_check` | `ADDRESS_CHECK` |
| v5.0 `general/supported_chains` (`v5.supported_chains`) | `portfolio_v5.supported_chains` | `SUPPORTED_CHAINS` |
| v5.0 `general/supported_protocols` (`v5.supported_protocols`) | `portfolio_v5.supported_protocols` | `SUPPORTED_PROTOCOLS` |
| v4 `general/is_available` (`v4.is_available`) | `portfolio_v4.is_available` | `bool` |
| v4 `general/supported_chains` (`v4.supported_chains`) | `portfolio_v4.supported_chains` | `SUPPORTED_CHAINS` |
| v4 `general/supported_protocols` (`v4.supported_protocols`) | `portfolio_v4.supported_protocols` | `SUPPORTED_PROTOCOLS` |
| v4 `general/current_value` (`v4.current_value`) | `portfolio_v4.current_value` | `CURRENT_VALUE` |
| v4 `general/profit_and_loss` (`v4.profit_and_loss`) | `portfolio_v4.profit_and_loss` | `PROFIT_AND_LOSS` |
| v4 `general/value_chart` (`v4.value_chart`) | `portfolio_v4.value_chart` | `VALUE_CHART` |
| v4 `overview/protocols/current_value` (`v4.protocols_current_value`) | `portfolio_v4.protocols_current_value` | `PROTOCOLS_CURRENT_VALUE` |
| v4 `overview/protocols/profit_and_loss` (`v4.protocols_profit_and_loss`) | `portfolio_v4.protocols_profit_and_loss` | `PROTOCOLS_PROFIT_AND_LOSS` |
| v4 `overview/protocols/details` (`v4.protocols_details`) | `portfolio_v4.protocols_details` | `PROTOCOLS_DETAILS` |
| v4 `overview/erc20/current_value` (`v4.tokens_current_value`) | `portfolio_v4.tokens_current_value` | `TOKENS_CURRENT_VALUE` |
| v4 `overview/erc20/profit_and_loss` (`v4.tokens_profit_and_loss`) | `portfolio_v4.tokens_profit_and_loss` | `TOKENS_PROFIT_AND_LOSS` |
| v4 `overview/erc20/details` (`v4.tokens_details`) | `portfolio_v4.tokens_details` | `TOKENS_DETAILS` |

`single(payload, **context)` (in both modules) wraps one payload as a batch of one.
`inchframe.frames.reconcile.reconcile` compares snapshots with current value (below).

## Rules shared by every frame

- **Same concept, same column** in v4 and v5.0 (and Balance): `chain_id, wallet, token, symbol,
  name, decimals, amount, price_usd, value_usd, protocol, protocol_name, position_type,
  position_index, is_debt, profit_usd, roi, apr, holding_time_days, timestamp, timerange,
  dimension, key, label`, plus `api_version` (`"v5.0"` or `"v4"`) on every row.
- **Rows** follow the order of the batch, then the payload's order.
- **Addresses** (wallet, token, contract) are lowercased.
- **`chain_id` NA means "all chains"** in the frames where it is nullable (`Int64`): rows the
  API aggregated across chains, or that belong to a request made without `chain_id`.
- **Identity fields are required; measures are optional.** The fields that say which row it is
  (chain, wallet `address`, token `address`, `index`, `contract_address` of a v4 position, the
  `timestamp` of a chart point, the key of a breakdown entry, the `chain_id` key of a v4
  profit-and-loss item) raise `PayloadError(endpoint, field, problem)` when missing or
  unusable, with a path such as `result[3].underlying_tokens[0].address` and the response's
  position in the batch in the message. Amounts, prices, values, names and flags that are
  absent or null give NaN / NA. A value of the wrong type (a list where a number belongs,
  text that is not a number) is a `PayloadError`, never a `KeyError`/`TypeError` (a
  property-based test mutates every example and checks this).
- **Numbers**: JSON numbers and numeric strings are accepted. Integers must fit in int64,
  except `token_id` (uint256), kept exactly as decimal text in a string column.
- **Timestamps**: unix seconds become UTC-aware `datetime64[ns, UTC]`; values of 1e11 and
  above are read as milliseconds.
- **Unknown fields are kept** as extra columns after the schema columns, and one
  `UnknownFieldsWarning` per call lists them. Item-level fields keep their (snake_cased)
  name (prefixed `raw_` if it collides with a schema column); fields inside a token list get
  the prefix `token_`; objects and lists are stored as compact JSON text. Exceptions:
  unknown top-level keys of the v5 `current_value` result (a new `by_*` breakdown) are
  ignored with a warning; nested token lists of metrics (`rewards_tokens`, `claimed_fees`,
  `unclaimed_fees`, `impermanent_loss`) are type-checked but not kept (only their `*_usd`
  totals are columns); `meta` (`cached_at`, `system`, `data_issues`) is not part of any frame.

## Drift accepted (api-contract.md, open questions)

| drift | accepted forms |
|---|---|
| list envelope | a bare JSON array or `{"result": [...], "meta": ...}` (every list endpoint; v5 `tokens/snapshot` and `supported_chains` are documented bare and observed enveloped) |
| `system` | top level (2024 recorded v4 body) or `meta.system`; neither is needed |
| chain field | `chain` or `chain_id`, on snapshot items **and** inside TokenBalance; the value may be an int, a numeric string, a chain name (`"eth"`) or a `Chain` enum object (`{"id_num": 1, ...}`) |
| price field | `price_usd` (v5 TokenBalance) or `price_to_usd` (v4) in every token list and in v4 erc20 details |
| token value | TokenBalance with or without `value_usd`; when absent, `value_usd = amount * price_usd` |
| profit field | `abs_profit_usd` (v4) or `profit_abs_usd` (v5 and v4 details); `weighted_apr` or `apr` |
| snapshot `address` | the zero address (observed live in a tokens snapshot item) becomes the request's address when the request had exactly one; with several addresses the zero address is kept as `wallet` (which wallet holds the row is then unknown) |
| metrics `index` | a string (`position_index`) or the 2026 `AggregatePositionIndex` object, flattened into `wallet, chain_id, contract_address, token_id, protocol_sub_group` with `is_aggregate` True and `position_index` NA |
| v4 `supported_chains` | ints or objects (`{id, name, icon}`, `Chain` enum objects), bare or enveloped; names from `inchframe.chains` when only ids come |
| v4 `supported_protocols` | shape unknown: a list of objects or names, `{chain_id: [...]}` or `{protocol: {...}}` |
| status | `{"result": bool}` or `{"result": {"is_available": bool}}` for both versions |
| `address_check` | shape undocumented: `{address: {is_compliant, reason}}`, `{address: bool}`, a list of objects with `address`; anything else gives one row per requested address with `is_compliant` NA. `raw` always holds the response's value as JSON text; this converter never fails on shape |
| `report` | CSV as text, bytes (a UTF-8 BOM is dropped) or `{"result": text}`; columns snake_cased (`Value (USD)` -> `value_usd`, duplicates suffixed); an empty body gives an empty frame; unreadable CSV is a `PayloadError` |

## Snapshot rows, positions and debt

- `tokens_snapshot`: the token is the item's `underlying_tokens` entry (normally one). An item
  with no underlying token gives one row built from `contract_address`, `contract_symbol`,
  `contract_name` and the item's `value_usd`.
- `protocols_snapshot` and v4 `protocols_details`: one row per position x token; the
  underlying tokens first (`role` = `underlying`), then the reward tokens (`role` =
  `reward`), each list numbered by `underlying_index` from 0. A position with no token at all
  still has one row (`role`, `underlying_index` and the token columns NA). Position-level
  columns (`protocol`, `contract_*`, `is_debt`, `position_value_usd`, ...) repeat on every row
  of the position: sum `position_value_usd` over `drop_duplicates("position_index")`, or
  `value_usd` over the rows of one role.
- `is_debt` is True for v5 `asset_sign` -1 and v4 `debt` true. Values are kept **as sent**
  (api-contract.md#q17: it is unknown whether debt arrives positive or negative).

## The v4 `position_index`

v4 has no position id. `protocols_details` synthesises one:

```
position_index = "v4:" + blake2b(f"{chain_id}|{contract_address}|{token_id}|{','.join(sorted(addresses))}",
                                 digest_size=8).hexdigest()
```

with `contract_address` and `addresses` lowercased, `token_id` as decimal text (`0` when
absent) and `addresses` the item's `addresses` (the request's when the item has none). It is
stable across runs, processes and batches (the address order does not matter) and can never
equal a v5 index (those are `0x` + 16 hex digits). It is not the v5 index of the same position.

## Reconciliation (`inchframe.frames.reconcile.reconcile`)

`reconcile(tokens, protocols_or_None, current_value, *, debt="net", rtol=0.01, atol=1.0)`
returns one row per chain seen on either side, then an all-chains row (`chain_id` NA), with
`chain_id, tokens_usd, protocols_usd, debt_usd, snapshot_usd, current_value_usd, diff_usd`
(snapshot minus current value), `rel_diff` (diff / |current value|) and `ok`
(|diff| <= max(`atol`, `rtol` x |current value|); False when a side is missing).

- Tokens: the sum of `value_usd` per chain.
- Protocols: each position once (`position_value_usd`, or the sum of its underlying
  `value_usd` when that is NaN). Positions whose `position_index` is also in the tokens frame are
  skipped, so nothing is counted twice.
- **Debt**: `debt="net"` (default) counts a debt position as `-abs(value)` whatever sign the API
  used, i.e. the snapshot side is net worth; `"gross"` adds `abs(value)`; `"ignore"` leaves
  debt out. `debt_usd` always shows `sum(abs(debt))` per chain, so a mismatch of exactly that
  amount means the API counts debt the other way.
- Current value per chain: v5 `chain` rows; else v4 `address` rows that carry a chain (requests
  made per chain); else the sum of v4 `category_chain` + `protocol_chain` rows (concatenate
  `tokens_current_value` and `protocols_current_value`). The all-chains line uses the `total`
  rows (else the all-chains `address` rows, else the per-chain sum).
- It works on the v4 frames too (`tokens_details`, `protocols_details`).

## v4 to v5.0 mapping

Endpoints (api-contract.md#endpoints):

| v4 endpoint -> converter | v5.0 endpoint -> converter | notes |
|---|---|---|
| `general/is_available` -> `is_available` | `general/status` -> `status` | both give a bool |
| `general/supported_chains` -> `supported_chains` | `general/supported_chains` -> `supported_chains` | same schema columns; v4 rarely sends native-token data |
| `general/supported_protocols` -> `supported_protocols` | `general/supported_protocols` -> `supported_protocols` | same schema columns |
| `general/current_value` -> `current_value` | `general/current_value` -> `current_value` | v4 has only `address` rows; v5 adds `total`, `category`, `protocol`, `chain` |
| `general/profit_and_loss` -> `profit_and_loss` | removed: `tokens/metrics` + `protocols/metrics` | v4 total row = dimension `total` |
| `general/value_chart` -> `value_chart` | `general/chart` -> `chart` | identical columns |
| — | `general/address_check` -> `address_check` | new in v5 |
| — | `general/report` -> `report` | new in v5 (CSV) |
| `overview/erc20/current_value` -> `tokens_current_value` | `tokens/snapshot` (or `current_value` `category` rows) | v4 categories native/stable/token; v5 categories tokens/native/protocols |
| `overview/erc20/profit_and_loss` -> `tokens_profit_and_loss` | `tokens/metrics` -> `tokens_metrics` | |
| `overview/erc20/details` -> `tokens_details` | `tokens/snapshot` + `tokens/metrics` | join on `position_index` |
| `overview/protocols/current_value` -> `protocols_current_value` | `protocols/snapshot` (or `current_value` `protocol` rows) | |
| `overview/protocols/profit_and_loss` -> `protocols_profit_and_loss` | `protocols/metrics` -> `protocols_metrics` | |
| `overview/protocols/details` -> `protocols_details` | `protocols/snapshot` + `protocols/metrics` | join on `position_index` |

Fields to columns:

| concept | v4 field | v5.0 field | column |
|---|---|---|---|
| chain | `chain_id` | `chain` / `chain_id` | `chain_id` |
| wallet | `address` (current_value), `addresses` (details) | `address` | `wallet` (`wallets` for several) |
| token address | `contract_address` (erc20 details), `underlying_tokens[].address` | `underlying_tokens[].address` | `token` |
| token symbol / name / decimals | `symbol`, `name`, `decimals` (not in erc20 details) | same | `symbol`, `name`, `decimals` |
| amount | `amount` | `amount` | `amount` |
| price | `price_to_usd` | `price_usd` | `price_usd` |
| token value | `value_usd` | `value_usd` (or amount x price) | `value_usd` |
| position value | `value_usd` (details item) | `value_usd` (item) | `position_value_usd` |
| protocol id | `protocol` (ProtocolName, e.g. `aavev3`) | `protocol_group_id` (e.g. `aave-v3`) | `protocol` (values differ between versions: v4 ids look like v5 `protocol_handler_id`) |
| protocol name | `protocol_name` | `protocol_group_name` | `protocol_name` |
| protocol icon | `protocol_icon` | `protocol_group_icon` | `protocol_icon` |
| adapter | — | `protocol_handler_id` | `protocol_handler` |
| kind of position | `contract_type` (+ `sub_contract_type`) | `protocol_type` | `position_type` (+ v4 `position_subtype`) |
| position contract | `contract_address`, `name` | `contract_address`, `contract_name`, `contract_symbol` | `contract_address`, `contract_name` (+ v5 `contract_symbol`) |
| NFT id | `token_id` | `token_id` | `token_id` (decimal text) |
| debt | `debt` | `asset_sign` -1 | `is_debt` |
| status | `status` | `status` | `status` |
| locked | `protocol_locked` (protocols current value) | `locked` | `locked` |
| position id | — (synthesised) | `index` | `position_index` |
| profit | `abs_profit_usd` / `profit_abs_usd` | `profit_abs_usd` | `profit_usd` |
| ROI | `roi` | `roi` | `roi` |
| APR | `weighted_apr` | `weighted_apr` | `apr` |
| holding time | `holding_time_days` | `holding_time_days` | `holding_time_days` |
| chart point | `timestamp`, `value_usd` | same | `timestamp` (UTC), `value_usd` |
| breakdown | `protocol_name` + `result[]` (current value) | `by_*` lists | `dimension`, `key`, `label`, `value_usd` |

## Frames and their columns

This file is generated by `python docs/make_portfolio_frames.py` (the tables come from each
schema's `describe()`); a test fails when the tables drift from the code.

"""


_TAIL = """## Left open

- The real shapes of v5 `address_check` and `report`, v4 `supported_protocols`, and whether
  debt values arrive negative: the converters are tolerant, not verified (api-contract.md, open questions).
- The metrics' nested token lists (`rewards_tokens`, `claimed_fees`, `unclaimed_fees`,
  `impermanent_loss`) have no frame yet; only their USD totals are columns.
- `meta.data_issues.price_outliers` of charts is not surfaced.
"""


def render() -> str:
    """The whole document."""
    parts = [_HEAD]
    parts.append("### Portfolio v5.0\n")
    for const, call, ep in [
        ("TOKENS_SNAPSHOT", "tokens_snapshot(responses)", "v5.0 tokens/snapshot"),
        ("PROTOCOLS_SNAPSHOT", "protocols_snapshot(responses)", "v5.0 protocols/snapshot"),
        ("TOKENS_METRICS", "tokens_metrics(responses)", "v5.0 tokens/metrics"),
        ("PROTOCOLS_METRICS", "protocols_metrics(responses)", "v5.0 protocols/metrics"),
        ("CURRENT_VALUE", "current_value(responses)", "v5.0 general/current_value"),
        ("CHART", "chart(responses)", "v5.0 general/chart"),
        ("SUPPORTED_CHAINS", "supported_chains(responses)", "v5.0 general/supported_chains"),
        (
            "SUPPORTED_PROTOCOLS",
            "supported_protocols(responses)",
            "v5.0 general/supported_protocols",
        ),
        ("ADDRESS_CHECK", "address_check(responses)", "v5.0 general/address_check"),
        ("REPORT", "report(responses)", "v5.0 general/report"),
    ]:
        notes = ""
        if const == "CURRENT_VALUE":
            notes = (
                "Dimensions: `total` (key `total`), `address` (key = wallet), `category` "
                "(key = `category_id`), `protocol` (key = `protocol_group_id`), `chain` "
                "(key = chain id as text). Each dimension sums to the total on its own: filter "
                "on one before summing."
            )
        parts.append(section(v5, const, call, ep, notes))
    parts.append("### Portfolio v4\n")
    for const, call, ep in [
        ("CURRENT_VALUE", "current_value(responses)", "v4 general/current_value"),
        (
            "PROTOCOLS_CURRENT_VALUE",
            "protocols_current_value(responses)",
            "v4 overview/protocols/current_value",
        ),
        (
            "TOKENS_CURRENT_VALUE",
            "tokens_current_value(responses)",
            "v4 overview/erc20/current_value",
        ),
        ("PROFIT_AND_LOSS", "profit_and_loss(responses)", "v4 general/profit_and_loss"),
        (
            "PROTOCOLS_PROFIT_AND_LOSS",
            "protocols_profit_and_loss(responses)",
            "v4 overview/protocols/profit_and_loss",
        ),
        (
            "TOKENS_PROFIT_AND_LOSS",
            "tokens_profit_and_loss(responses)",
            "v4 overview/erc20/profit_and_loss",
        ),
        ("VALUE_CHART", "value_chart(responses)", "v4 general/value_chart"),
        ("PROTOCOLS_DETAILS", "protocols_details(responses)", "v4 overview/protocols/details"),
        ("TOKENS_DETAILS", "tokens_details(responses)", "v4 overview/erc20/details"),
        ("SUPPORTED_CHAINS", "supported_chains(responses)", "v4 general/supported_chains"),
        ("SUPPORTED_PROTOCOLS", "supported_protocols(responses)", "v4 general/supported_protocols"),
    ]:
        notes = ""
        if const in ("PROTOCOLS_CURRENT_VALUE", "TOKENS_CURRENT_VALUE"):
            notes = (
                "The API's `chain_id: null` entry of each group is the all-chains value (dimension "
                "`protocol` / `category`, `chain_id` = the request's); per-chain entries are "
                "dimension `protocol_chain` / `category_chain`. Filter on one before summing."
            )
        if const == "PROFIT_AND_LOSS":
            notes = (
                "The API's `chain_id: null` row is the all-chains total: dimension `total`, key "
                "`total`, `chain_id` = the request's (NA = all chains). Per-chain rows: dimension "
                "`chain`, key = chain id as text, label = chain name."
            )
        if const == "TOKENS_DETAILS":
            notes = (
                "`chain_id` is nullable here (the v4 schema allows a null chain); a null falls back "
                "to the request's `chain_id`."
            )
        parts.append(section(v4, const, call, ep, notes))

    parts.append(_TAIL)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Write the document (default ``docs/frames-portfolio.md``)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else ROOT / "docs" / "frames-portfolio.md"
    path.write_text(render())


if __name__ == "__main__":
    main()
