# The two commands a newcomer needs; each installs what it needs first (scripts/setup.sh).
.PHONY: demo test setup

setup:
	@bash scripts/setup.sh

## Start the dev server (Web UI), moto and a worker; provision one instance; print the result.
demo: setup
	npm run demo -- $(ARGS)

## Lint, type-check and every test suite.
test: setup
	npm test
