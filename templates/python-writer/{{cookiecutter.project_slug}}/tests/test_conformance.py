from dativo_conformance.pytest import conformance_suite

TestConformance = conformance_suite(__file__)  # finds pyproject.toml upwards
