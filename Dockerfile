# CPU image. Unbuilt where it was written (no Docker engine there; test/docker.test.ts lints it): build and try it
# before relying on it.
#   docker build -t face-liveness-service . && docker run -p 3000:3000 face-liveness-service
FROM node:20-bookworm-slim

# better-sqlite3 compiles from source when no prebuilt binary can be fetched (README: python3, make, g++).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# onnxruntime-node's install script would fetch CUDA libraries from nuget.org; the CPU provider ships in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip NODE_ENV=production

# Dependencies first for layer caching. --omit=dev: the model build (tsx scripts/build-models.ts) and the JavaScript
# build (esbuild, scripts/build-dist.ts) use production dependencies only; the dev ones (tfjs, vitest, …) are for
# tests and benchmarks. --ignore-scripts here, scripts after the sources are in.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 sharp

COPY . .
# Builds models/*.onnx and checks them against models/manifest.json (sha256 per model), fetches and converts the
# default MiniFASNet anti-spoofing pack, and compiles src/ to dist/ (what `npm start` runs) (--soft: an offline build says so in one line and the image runs without it;
# build with --build-arg MODELS_MIRROR=<http(s) URL of a mirror> where GitHub is not reachable).
ARG MODELS_MIRROR=
RUN npm run models && npx tsx scripts/fetch-models.ts --default --soft && npm run build && chown -R node:node /app

USER node
ENV PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data
EXPOSE 3000
# /health/live: up while it can answer, draining included (README "Health probes"; /health/ready is for load balancers).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node itself as PID 1 (exec form, no npm or shell in between): SIGTERM reaches the service, which drains in-flight
# requests (SHUTDOWN_GRACE_SECONDS) before it exits. The compiled build, as `npm start` runs it.
CMD ["node", "--single-threaded-gc", "dist/main.js"]
