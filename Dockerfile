# syntax=docker/dockerfile:1
# The operator image: Node 24 LTS (the same major as the devDependency that runs the tests), production
# dependencies only, compiled JavaScript, a numeric non-root user. Build: docker build -t scim-operator .
# BASE_IMAGE: any image with Node 24, npm and /bin/sh; scripts/build-images.sh passes one made on this machine
# (docs/local-node.md).
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts are skipped: the image's own Node 24 runs everything, so the `node` devDependency is not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM ${BASE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${BASE_IMAGE}
ENV NODE_ENV=production
# Node sizes V8's heap from the container's memory limit, as if the heap were all the process held; code, buffers and
# the young generation come on top, so a heap allowed the whole limit meets the OOM killer before it collects
# garbage hard. 75% leaves the rest room (docs/benchmarks.md, "Operator memory"). Override with the chart's extraEnv.
ENV NODE_OPTIONS=--max-old-space-size-percentage=75
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY crds ./crds
# 65532 is the conventional "nonroot" uid; the chart runs the pod as it with a read-only root filesystem.
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
