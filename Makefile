# The commands a newcomer needs; each installs what it needs first (scripts/setup.sh).
.PHONY: demo test setup doctor

# Every target runs on the Node.js that setup installs under .stagely/node when the machine's own is
# older than 22 (absent otherwise, and then the machine's node is the one found).
export PATH := $(CURDIR)/.stagely/node/bin:$(PATH)

setup:
	@bash scripts/setup.sh

## Start the dev server (Web UI), moto and a worker; provision one instance; print the result.
demo: setup
	npm run demo -- $(ARGS)

## Lint, type-check and every test suite.
test: setup
	npm test

## Print the versions of the tools the project uses, one per line; fail naming what is missing.
doctor:
	@bash scripts/doctor.sh
