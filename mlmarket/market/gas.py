"""Measure what on-chain evaluation costs: gas per evaluation per model family, in ETH and USD.

``mlmarket.ml.costs`` holds the worst-case cost models (no chain); this module sends
real ``scoreBatch`` transactions to the family evaluators on a chain and reads the
gas from the receipts (``notebooks/04_onchain_models.ipynb``,
``benchmarks/bench_families.py``).

Example:
    >>> from mlmarket.chain import connect
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from mlmarket.ml import Quantizer, export
    >>> X, y = load_iris(return_X_y=True)
    >>> q = Quantizer.fit(X, y)
    >>> model = export(DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y), q)
    >>> with connect() as chain:
    ...     gas = measure_gas(chain, deploy_evaluators(chain), [model], X, y)
    >>> gas.family, gas.rows, gas.execution_gas > 0
    ('tree', 150, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from mlmarket.chain import Chain
from mlmarket.contracts import bind_errors, load_artifact
from mlmarket.errors import ConfigurationError
from mlmarket.ml import ExportedModel, encode_chunk

__all__ = ["EVALUATORS", "GasMeasurement", "deploy_evaluators", "measure_gas", "test_set_cost"]

EVALUATORS = {"linear": "LinearEvaluator", "mlp": "MlpEvaluator", "tree": "TreeEvaluator"}
"""Evaluator contract of each model family."""
TX_BASE_GAS = 21_000


@dataclass(frozen=True)
class GasMeasurement:
    """One ``scoreBatch`` transaction: ``models`` models of ``family`` on ``rows`` rows.

    ``gas_used`` is the receipt's; ``calldata_gas`` what its bytes cost (4 per zero
    byte, 16 otherwise); ``execution_gas`` the rest after the 21,000 base, unless the
    EIP-7623 floor bound (then ``None``).
    """

    family: str
    rows: int
    models: int
    gas_used: int
    calldata_gas: int
    execution_gas: int | None

    @property
    def gas_per_row(self) -> float:
        """Receipt gas per row and model, everything included."""
        return self.gas_used / max(1, self.rows * self.models)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"gas_per_row": self.gas_per_row}


def deploy_evaluators(chain: Chain, *, sender: str = "deployer") -> dict[str, Any]:
    """Deploy one evaluator per family: ``{"linear": contract, "mlp": ..., "tree": ...}``."""
    bind_errors(chain)
    deployed = {}
    for family, name in EVALUATORS.items():
        artifact = load_artifact(name)
        deployed[family], _ = chain.deploy(artifact.abi, artifact.bytecode, sender=sender)
    return deployed


def _calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros)


def _floor_gas(data: bytes) -> int:
    zeros = data.count(0)
    return TX_BASE_GAS + 10 * (zeros + 4 * (len(data) - zeros))


def measure_gas(
    chain: Chain,
    evaluators: dict[str, Any],
    models: list[ExportedModel],
    X: Any,
    y: Any,
    *,
    sender: str = "alice",
) -> GasMeasurement:
    """Score ``models`` (one family, one quantizer) on the rows ``X``/``y`` in one transaction."""
    if not models:
        raise ConfigurationError("Give at least one model to measure.")
    families = {m.family for m in models}
    quantizer = models[0].quantizer
    if len(families) != 1 or quantizer is None:
        raise ConfigurationError("Measure models of one family, exported with a quantizer.")
    family = families.pop()
    chunk = encode_chunk(
        quantizer.transform(X),
        quantizer.encode_labels(y),
        regression=quantizer.task == "regression",
    )
    fn = evaluators[family].functions.scoreBatch(
        chunk, [m.to_bytes() for m in models], quantizer.features, quantizer.n_classes
    )
    data = bytes.fromhex(fn._encode_transaction_data()[2:])
    receipt = chain.transact(fn, sender=sender)
    used = int(receipt["gasUsed"])
    calldata = _calldata_gas(data)
    execution = used - TX_BASE_GAS - calldata if used > _floor_gas(data) else None
    rows = len(quantizer.encode_labels(y))
    return GasMeasurement(family, rows, len(models), used, calldata, execution)


def test_set_cost(
    rows: int, gas_per_row: float, *, gas_price_gwei: float, eth_usd: float, models: int = 1
) -> dict[str, Any]:
    """Gas, ETH and USD of scoring ``models`` models on ``rows`` test rows: ``eth`` and ``usd``
    as floats (rows of a plottable table), exact in ``eth_exact`` and ``usd_exact``.

    Example:
        >>> cost = test_set_cost(10_000, 5_000, gas_price_gwei=10, eth_usd=3_000)
        >>> cost["usd"], cost["usd_exact"]
        (1500.0, Decimal('1500.00'))
    """
    gas = int(round(rows * gas_per_row * models))
    eth = Decimal(gas) * Decimal(str(gas_price_gwei)) / Decimal(10**9)
    usd = (eth * Decimal(str(eth_usd))).quantize(Decimal("0.01"))
    return {"rows": rows, "models": models, "gas": gas, "eth": float(eth), "eth_exact": eth,
            "usd": float(usd), "usd_exact": usd}  # fmt: skip


test_set_cost.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
