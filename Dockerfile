# syntax=docker/dockerfile:1

# ---- build: compile TypeScript, then keep only production dependencies ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native addon when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
# `npm run build` bundles the web page first (scripts/build-ui.js), then compiles src.
# test/deploy/dockerfile.spec.ts replays these steps on the tracked files, so a file the build needs
# and this list or git lacks fails CI.
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# ---- runtime: no compiler, no dev dependencies, not root ----
FROM node:20-bookworm-slim AS runtime
# HOST=0.0.0.0: inside a container 127.0.0.1 is the container's own loopback, which a published port
# does not reach. Listening on every interface with no API keys would let anyone who reaches the port
# write, so the service then refuses to start unless keys exist in /data/keys.json (`annals keys
# create`, ANNALS_DATA_DIR=/data) or ANNALS_ALLOW_OPEN_WRITES=true says open writes are meant
# (docker-compose.yml does so and publishes the port on the host's loopback only).
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    ANNALS_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The demo data set, imported through the API on the first start of an empty store.
COPY data ./data
# The image's `node` user (uid 1000) owns the data directory: the SQLite files are written there.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# 127.0.0.1, not localhost: Node may resolve localhost to ::1 while the server listens on IPv4 0.0.0.0.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
