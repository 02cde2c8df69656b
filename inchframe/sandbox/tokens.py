"""Well-known tokens per chain, with their real addresses, symbols, names and decimals.

These are the head of each chain's token list in the sandbox universe; the long tail is synthetic
(see :mod:`inchframe.sandbox.universe`). Prices are rough reference levels in USD, not quotes:
the universe jitters them deterministically from the seed.

Each entry is ``(address, symbol, name, decimals, reference_price_usd, kind)`` where ``kind`` is
``"stable"`` (tagged ``PEG:USD``), ``"wrapped"`` (wrapped native, tagged ``PEG:<native>``) or
``"token"``.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NATIVE_PRICES", "WELL_KNOWN", "WellKnown"]

WellKnown = tuple[str, str, str, int, float, str]

#: Reference USD price of each chain's native coin, by native symbol.
NATIVE_PRICES: Final[dict[str, float]] = {
    "ETH": 3000.0,
    "BNB": 600.0,
    "xDAI": 1.0,
    "POL": 0.5,
    "S": 0.6,
    "AVAX": 35.0,
    "FTM": 0.7,
    "KLAY": 0.15,
}

_ETHEREUM: tuple[WellKnown, ...] = (
    ("0xdac17f958d2ee523a2206206994597c13d831ec7", "USDT", "Tether USD", 6, 1.0, "stable"),
    ("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0x6b175474e89094c44da98b954eedeac495271d0f", "DAI", "Dai Stablecoin", 18, 1.0, "stable"),
    ("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    ("0x2260fac5e5542a773aa44fbcfedf7c193bc2c599", "WBTC", "Wrapped BTC", 8, 95000.0, "token"),
    ("0x111111111117dc0aa78b770fa6a738034120c302", "1INCH", "1INCH Token", 18, 0.35, "token"),
    ("0x514910771af9ca656af840dff83e8264ecf986ca", "LINK", "ChainLink Token", 18, 20.0, "token"),
    ("0x1f9840a85d5af5bf1d1762f925bdaddc4201f984", "UNI", "Uniswap", 18, 10.0, "token"),
    ("0x7fc66500c84a76ad7e9c93437bfc5ac33e2ddae9", "AAVE", "Aave Token", 18, 250.0, "token"),
    (
        "0x0d8775f648430679a709e98d2b0cb6250d2887ef",
        "BAT",
        "Basic Attention Token",
        18,
        0.25,
        "token",
    ),
    ("0x58b6a8a3302369daec383334672404ee733ab239", "LPT", "Livepeer Token", 18, 12.0, "token"),
    ("0x0d02755a5700414b26ff040e1de35d337df56218", "BEND", "Bend Token", 18, 0.001, "token"),
    ("0xd26114cd6ee289accf82350c8d8487fedb8a0c07", "OMG", "OMG Network", 18, 0.3, "token"),
    ("0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2", "MKR", "Maker", 18, 1500.0, "token"),
    ("0x95ad61b0a150d79219dcf64e1e6cc01f0b64c4ce", "SHIB", "SHIBA INU", 18, 0.00002, "token"),
    ("0x6982508145454ce325ddbe47a25d4ec3d2311933", "PEPE", "Pepe", 18, 0.00001, "token"),
    (
        "0xae7ab96520de3a18e5e111b5eaab095312d7fe84",
        "stETH",
        "Liquid staked Ether 2.0",
        18,
        3000.0,
        "token",
    ),
    (
        "0x7f39c581f595b53c5cb19bd0b3f8da6c935e2ca0",
        "wstETH",
        "Wrapped liquid staked Ether 2.0",
        18,
        3550.0,
        "token",
    ),
    ("0xae78736cd615f374d3085123a210448e74fc6393", "rETH", "Rocket Pool ETH", 18, 3350.0, "token"),
    (
        "0xbe9895146f7af43049ca1c1ae358b0541ea49704",
        "cbETH",
        "Coinbase Wrapped Staked ETH",
        18,
        3250.0,
        "token",
    ),
    ("0xd533a949740bb3306d119cc777fa900ba034cd52", "CRV", "Curve DAO Token", 18, 0.8, "token"),
    ("0xc00e94cb662c3520282e6f5717214004a7f26888", "COMP", "Compound", 18, 70.0, "token"),
    ("0x5a98fcbea516cf06857215779fd812ca3bef1b32", "LDO", "Lido DAO Token", 18, 1.8, "token"),
    (
        "0xc011a73ee8576fb46f5e1c5751ca3b9fe0af2a6f",
        "SNX",
        "Synthetix Network Token",
        18,
        2.5,
        "token",
    ),
    ("0x7d1afa7b718fb893db30a3abc0cfc608aacfebb0", "MATIC", "Matic Token", 18, 0.5, "token"),
    ("0x853d955acef822db058eb8505911ed77f175b99e", "FRAX", "Frax", 18, 1.0, "stable"),
    ("0x4c9edd5852cd905f086c759e8383e09bff1e68b3", "USDe", "USDe", 18, 1.0, "stable"),
    ("0x0000000000085d4780b73119b644ae5ecd22b376", "TUSD", "TrueUSD", 18, 1.0, "stable"),
    ("0x4fabb145d64652a948d72533023f6e7a623c7c53", "BUSD", "Binance USD", 18, 1.0, "stable"),
    ("0x056fd409e1d7a124bd7017459dfea2f387b6d5cd", "GUSD", "Gemini dollar", 2, 1.0, "stable"),
    (
        "0xc18360217d8f7ab5e7c516566761ea12ce7f9d72",
        "ENS",
        "Ethereum Name Service",
        18,
        30.0,
        "token",
    ),
    ("0xc944e90c64b2c07662a292be6244bdf05cda44a7", "GRT", "Graph Token", 18, 0.2, "token"),
    ("0x6b3595068778dd592e39a122f4f5a5cf09c90fe2", "SUSHI", "SushiToken", 18, 1.2, "token"),
    ("0x0bc529c00c6401aef6d220be8c6ea1667f6ad93e", "YFI", "yearn.finance", 18, 8000.0, "token"),
    ("0x4d224452801aced8b2f0aebe155379bb5d594381", "APE", "ApeCoin", 18, 1.2, "token"),
    (
        "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf",
        "cbBTC",
        "Coinbase Wrapped BTC",
        8,
        95000.0,
        "token",
    ),
    (
        "0x39aa39c021dfbae8fac545936693ac917d5e7563",
        "cUSDC",
        "Compound USD Coin",
        8,
        0.0235,
        "token",
    ),
    ("0x4ddc2d193948926d02f9b1fe9e1daa0718270ed5", "cETH", "Compound Ether", 8, 60.0, "token"),
    ("0xf5dce57282a584d2746faf1593d3121fcac444dc", "cSAI", "Compound Sai", 8, 0.02, "token"),
    (
        "0xfc1e690f61efd961294b3e1ce3313fbd8aa4f85d",
        "aDAI",
        "Aave Interest bearing DAI",
        18,
        1.0,
        "token",
    ),
    ("0x06af07097c9eeb7fd685c692751d5c66db49c215", "CHAI", "Chai", 18, 1.1, "token"),
    ("0xd46ba6d942050d489dbd938a2c909a5d5039a161", "AMPL", "Ampleforth", 9, 1.2, "token"),
)

_BASE: tuple[WellKnown, ...] = (
    ("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0xd9aaec86b65d86f6a7b5b1b0c42ffa531710b6ca", "USDbC", "USD Base Coin", 6, 1.0, "stable"),
    ("0x50c5725949a6f0c72e6c4a641f24049a917db0cb", "DAI", "Dai Stablecoin", 18, 1.0, "stable"),
    ("0x4200000000000000000000000000000000000006", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    (
        "0x2ae3f1ec7f1f5012cfeab0185bfc7aa3cf0dec22",
        "cbETH",
        "Coinbase Wrapped Staked ETH",
        18,
        3250.0,
        "token",
    ),
    (
        "0xc1cba3fcea344f92d9239c08c0568f6f2f0ee452",
        "wstETH",
        "Wrapped liquid staked Ether 2.0",
        18,
        3550.0,
        "token",
    ),
    (
        "0xcbb7c0000ab88b473b1f5afd9ef808440eed33bf",
        "cbBTC",
        "Coinbase Wrapped BTC",
        8,
        95000.0,
        "token",
    ),
    ("0x940181a94a35a4569e4529a3cdfb74e38fd98631", "AERO", "Aerodrome", 18, 1.1, "token"),
    ("0x4ed4e862860bed51a9570b96d89af5e1b0efefed", "DEGEN", "Degen", 18, 0.01, "token"),
)

_ARBITRUM: tuple[WellKnown, ...] = (
    ("0xaf88d065e77c8cc2239327c5edb3a432268e5831", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0xff970a61a04b1ca14834a43f5de4533ebddb5cc8", "USDC.e", "Bridged USDC", 6, 1.0, "stable"),
    ("0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9", "USDT", "Tether USD", 6, 1.0, "stable"),
    ("0xda10009cbd5d07dd0cecc66161fc93d7c9000da1", "DAI", "Dai Stablecoin", 18, 1.0, "stable"),
    ("0x82af49447d8a07e3bd95bd0d56f35241523fbab1", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    ("0x2f2a2543b76a4166549f7aab2e75bef0aefc5b0f", "WBTC", "Wrapped BTC", 8, 95000.0, "token"),
    ("0x912ce59144191c1204e64559fe8253a0e49e6548", "ARB", "Arbitrum", 18, 0.8, "token"),
    ("0xfc5a1a6eb076a2c7ad06ed22c90d7e710e35ad0a", "GMX", "GMX", 18, 25.0, "token"),
    ("0xf97f4df75117a78c1a5a0dbb814af92458539fb4", "LINK", "ChainLink Token", 18, 20.0, "token"),
)

_OPTIMISM: tuple[WellKnown, ...] = (
    ("0x0b2c639c533813f4aa9d7837caf62653d097ff85", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0x7f5c764cbc14f9669b88837ca1490cca17c31607", "USDC.e", "Bridged USDC", 6, 1.0, "stable"),
    ("0x94b008aa00579c1307b0ef2c499ad98a8ce58e58", "USDT", "Tether USD", 6, 1.0, "stable"),
    ("0xda10009cbd5d07dd0cecc66161fc93d7c9000da1", "DAI", "Dai Stablecoin", 18, 1.0, "stable"),
    ("0x4200000000000000000000000000000000000006", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    ("0x4200000000000000000000000000000000000042", "OP", "Optimism", 18, 1.9, "token"),
    ("0x68f180fcce6836688e9084f035309e29bf0a2095", "WBTC", "Wrapped BTC", 8, 95000.0, "token"),
)

_BSC: tuple[WellKnown, ...] = (
    ("0x55d398326f99059ff775485246999027b3197955", "USDT", "Tether USD", 18, 1.0, "stable"),
    ("0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d", "USDC", "USD Coin", 18, 1.0, "stable"),
    ("0xe9e7cea3dedca5984780bafc599bd69add087d56", "BUSD", "BUSD Token", 18, 1.0, "stable"),
    ("0x1af3f329e8be154074d8769d1ffa4ee058b1dbc3", "DAI", "Dai Token", 18, 1.0, "stable"),
    ("0xbb4cdb9cbd36b01bd1cbaebf2de08d9173bc095c", "WBNB", "Wrapped BNB", 18, 600.0, "wrapped"),
    ("0x2170ed0880ac9a755fd29b2688956bd959f933f8", "ETH", "Ethereum Token", 18, 3000.0, "token"),
    ("0x7130d2a12b9bcbfae4f2634d864a1ee1ce3ead9c", "BTCB", "BTCB Token", 18, 95000.0, "token"),
    ("0x0e09fabb73bd3ade0a17ecc321fd13a19e81ce82", "Cake", "PancakeSwap Token", 18, 2.5, "token"),
)

_POLYGON: tuple[WellKnown, ...] = (
    ("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0x2791bca1f2de4661ed88a30c99a7a9449aa84174", "USDC.e", "USD Coin (PoS)", 6, 1.0, "stable"),
    ("0xc2132d05d31c914a87c6611c10748aeb04b58e8f", "USDT", "Tether USD", 6, 1.0, "stable"),
    ("0x8f3cf7ad23cd3cadbd9735aff958023239c6a063", "DAI", "Dai Stablecoin", 18, 1.0, "stable"),
    (
        "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270",
        "WPOL",
        "Wrapped Polygon Ecosystem Token",
        18,
        0.5,
        "wrapped",
    ),
    ("0x7ceb23fd6bc0add59e62ac25578270cff1b9f619", "WETH", "Wrapped Ether", 18, 3000.0, "token"),
    ("0x1bfd67037b42cf73acf2047067bd4f2c47d9bfd6", "WBTC", "Wrapped BTC", 8, 95000.0, "token"),
    ("0xd6df932a45c0f255f85145f286ea0b292b21c90b", "AAVE", "Aave", 18, 250.0, "token"),
    ("0x53e0bca35ec356bd5dddfebbd1fc0fd03fabad39", "LINK", "ChainLink Token", 18, 20.0, "token"),
)

_AVALANCHE: tuple[WellKnown, ...] = (
    ("0xb97ef9ef8734c71904d8002f8b6bc66dd9c48a6e", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0x9702230a8ea53601f5cd2dc00fdbc13d4df4a8c7", "USDt", "TetherToken", 6, 1.0, "stable"),
    ("0xd586e7f844cea2f87f50152665bcbc2c279d8d70", "DAI.e", "Dai Stablecoin", 18, 1.0, "stable"),
    ("0xb31f66aa3c1e785363f0875a1b74e27b85fd66c7", "WAVAX", "Wrapped AVAX", 18, 35.0, "wrapped"),
    ("0x49d5c2bdffac6ce2bfdb6640f4f80f226bc10bab", "WETH.e", "Wrapped Ether", 18, 3000.0, "token"),
    ("0x152b9d0fdc40c096757f570a51e494bd4b943e50", "BTC.b", "Bitcoin", 8, 95000.0, "token"),
)

_GNOSIS: tuple[WellKnown, ...] = (
    ("0xe91d153e0b41518a2ce8dd3d7944fa863463a97d", "WXDAI", "Wrapped XDAI", 18, 1.0, "wrapped"),
    ("0xddafbb505ad214d7b80b1f830fccc89b60fb7a83", "USDC", "USD//C on xDai", 6, 1.0, "stable"),
    ("0x4ecaba5870353805a9f068101a40e0f32ed605c6", "USDT", "Tether USD on xDai", 6, 1.0, "stable"),
    (
        "0x9c58bacc331c9aa871afd802db6379a98e80cedb",
        "GNO",
        "Gnosis Token on xDai",
        18,
        300.0,
        "token",
    ),
    (
        "0x6a023ccd1ff6f2045c3309768ead9e68f978f6e1",
        "WETH",
        "Wrapped Ether on xDai",
        18,
        3000.0,
        "token",
    ),
)

_LINEA: tuple[WellKnown, ...] = (
    ("0xe5d7c2a44ffddf6b295a15c148167daaaf5cf34f", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    ("0x176211869ca2b568f2a7d4ee941e073a821ee1ff", "USDC", "USD Coin", 6, 1.0, "stable"),
    ("0xa219439258ca9da29e9cc4ce5596924745e12b93", "USDT", "Tether USD", 6, 1.0, "stable"),
)

_ZKSYNC: tuple[WellKnown, ...] = (
    ("0x5aea5775959fbc2557cc8789bc1bf90a239d9a91", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    ("0x3355df6d4c9c3035724fd0e3914de96a5a83aaf4", "USDC.e", "Bridged USDC", 6, 1.0, "stable"),
    ("0x5a7d6b2f92c77fad6ccabd7ee0624e64907eaf3e", "ZK", "ZKsync", 18, 0.15, "token"),
)

_SONIC: tuple[WellKnown, ...] = (
    ("0x039e2fb66102314ce7b64ce5ce3e5183bc94ad38", "wS", "Wrapped Sonic", 18, 0.6, "wrapped"),
    (
        "0x29219dd400f2bf60e5a23d13be72b486d4038894",
        "USDC.e",
        "Bridged USDC (Sonic Labs)",
        6,
        1.0,
        "stable",
    ),
)

_UNICHAIN: tuple[WellKnown, ...] = (
    ("0x4200000000000000000000000000000000000006", "WETH", "Wrapped Ether", 18, 3000.0, "wrapped"),
    ("0x078d782b760474a361dda0af3839290b0ef57ad6", "USDC", "USD Coin", 6, 1.0, "stable"),
)

#: Well-known ERC-20 tokens per chain id (the native coin is added by the universe).
WELL_KNOWN: Final[dict[int, tuple[WellKnown, ...]]] = {
    1: _ETHEREUM,
    10: _OPTIMISM,
    56: _BSC,
    100: _GNOSIS,
    130: _UNICHAIN,
    137: _POLYGON,
    146: _SONIC,
    324: _ZKSYNC,
    8453: _BASE,
    42161: _ARBITRUM,
    43114: _AVALANCHE,
    59144: _LINEA,
}
