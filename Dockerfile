# Outpost gateway image, Debian 12 (bookworm). Native code is built from source in the build stage
# (better-sqlite3, and native/: the SO_REUSEPORT listener, sd_notify, CPU pinning, batched sends, request-log lines and
# HTTP head parsing and writing, the JSON config scan; SSE2 on amd64 and plain C loops on arm64), so
# `docker buildx build --platform linux/amd64,linux/arm64 .` builds both architectures (each build
# stage runs on its target architecture, under emulation where needed).
# The runtime stage holds only dist/src, production node_modules, the built addon and
# package.json (ES module type); test/integration/container-runtime.test.ts runs its files.

FROM node:20-bookworm-slim AS build
# better-sqlite3 (the control plane's store) is built from source by its install script; the root
# install script (native/build.mjs) builds native/ with npm's node-gyp against the image's own
# Node headers (/usr/local/include/node: no download). It never fails the install; check its log line.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY native ./native
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
# Prune dev packages, and keep only the addon itself from native/build (not its object files, nor the
# bench's load generator outpost_pacer).
RUN npx tsc -p tsconfig.json && npm prune --omit=dev \
 && find native/build/Release -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The addon (build.mjs always leaves this directory, empty if the build failed: then workers fall
# back to one listener on Node 20, and say so in the log).
COPY --from=build /app/native/build/Release ./native/build/Release
COPY package.json ./
COPY config/gateway.yaml /etc/outpost/gateway.yaml
# Runs as the image's unprivileged `node` user and writes nothing outside mounted volumes, so a
# read-only root filesystem works (docker run --read-only; managed mode: mount a volume for
# --backup-dir). Numeric, so Kubernetes' runAsNonRoot can verify it without a runAsUser.
USER 1000:1000
# 8080 HTTP, 8081 HTTPS (gateway.tls), 9090 ops (health, readiness, metrics).
EXPOSE 8080 8081 9090
# Follows OUTPOST_OPS_PORT when it moves the ops listener (a gateway.opsPort in the file does not).
HEALTHCHECK --interval=10s --timeout=2s --start-period=30s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.OUTPOST_OPS_PORT||9090)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# --no-memory-reducer: the primary thread's full GCs 8 s after a start would hold up the worker
# sharing its core (src/gateway/primary/memory-reducer.ts); workers keep theirs. The control plane,
# started through the same entrypoint, runs without it too: its heap is not shrunk when idle.
ENTRYPOINT ["node", "--no-memory-reducer", "/app/dist/src/cli.js"]
# Mount your config over /etc/outpost/gateway.yaml. For the demo Echo API add --demo-backend.
# Managed mode as APIM: docker run --env-file env.conf <image> gateway (the env file names the
# control plane); the control plane itself: <image> control-plane --host 0.0.0.0 --data /data
# (it listens on 127.0.0.1 unless told otherwise, which a container port cannot reach).
CMD ["gateway", "--config", "/etc/outpost/gateway.yaml"]
