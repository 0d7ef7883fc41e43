# The worker image. Build: docker build -t stagely-provisioner .
# Run: docker run -e TEMPORAL_ADDRESS=... -e AWS_REGION=... stagely-provisioner (settings: docs/operations.md)
#
# test/unit/dockerfile.test.ts keeps the Node.js major and the start command in step with package.json,
# and test/e2e/package.test.ts builds what the final stage holds (the packed package, npm ci --omit=dev)
# and starts the worker from it.

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No scripts: "prepare" would build before the sources are here (no dependency has an install script).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json README.md LICENSE ./
COPY contract contract
COPY scripts scripts
COPY tools tools
COPY src src
# npm pack runs "prepare" (the build: lib/ with the prebuilt workflow bundle) and keeps only what
# package.json "files" ships; the final stage gets exactly that, plus the lock file.
RUN npm pack --pack-destination /tmp \
 && mkdir /app \
 && tar -xzf /tmp/stagely-provisioner-*.tgz -C /app --strip-components=1 \
 && cp package-lock.json /app/

FROM node:24-bookworm-slim
# MALLOC_ARENA_MAX: the Temporal runtime's threads would each get a glibc malloc arena; two keep the
# worker's resident memory about 50 MB lower at a thousand runs (BENCHMARKS.md).
ENV NODE_ENV=production \
    STAGELY_HEALTH_ADDRESS=0.0.0.0:8080 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# The base image's "node" user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "lib/healthcheck.js"]
# Node itself is PID 1 (no npm, no shell), so SIGTERM reaches the worker, which drains and exits 0.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "lib/worker.js"]
