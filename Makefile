# The two commands of README.md. Both install what is missing first.
BUILD ?= build
CONFIG ?= var/a6auth.properties

.PHONY: all deps configure build test run clean

all: build

deps:
	scripts/install-deps

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: configure
	cmake --build $(BUILD) -j2

test: build
	cd $(BUILD) && ctest --output-on-failure -j2

run: build
	scripts/dev-setup $(BUILD)/service/a6auth
	@echo
	@echo "a6auth listens on http://127.0.0.1:8080 (API under /api/v1, description at /openapi.yaml)"
	@echo "portal:       http://127.0.0.1:8080/  (demo users, e.g. ada or rita, password in var/secrets/demo-password)"
	@echo "verify:       http://127.0.0.1:8080/verify  (check a letter, no account needed)"
	@echo "get a token:  TOKEN=\$$($(BUILD)/service/a6auth token issue ada --config $(CONFIG))"
	@echo "then:         curl -H \"Authorization: Bearer \$$TOKEN\" http://127.0.0.1:8080/api/v1/requests"
	@echo "stop with Ctrl-C"
	@echo
	$(BUILD)/service/a6auth serve --config $(CONFIG)

clean:
	rm -rf $(BUILD)
