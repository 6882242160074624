import os

from hypothesis import HealthCheck, settings

# CI: more examples, derandomised so that a red run can be replayed exactly.
settings.register_profile(
    "ci", max_examples=500, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
