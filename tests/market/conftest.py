from tests.chain.conftest import require_anvil  # noqa: F401 - shared fixture
