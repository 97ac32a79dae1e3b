# Builds the service the way the README does (npm ci, npm run build) and runs the compiled server.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off, as npm 11 leaves them here: argon2 loads the prebuilt binary it ships.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY scripts ./scripts
COPY apps ./apps
COPY libs ./libs
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# A heap limit keeps V8 from letting a busy process grow to several times what it holds live
# (docs/operations.md, Production notes); NODE_OPTIONS, so `docker run -e NODE_OPTIONS=…` can change it.
# Two malloc arenas, not one per thread V8 and libuv start: each keeps what it once held.
ENV NODE_ENV=production PORT=8010 MALLOC_ARENA_MAX=2 NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=8"
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The admin panel's front-end bundle, made by npm run build; the server never bundles.
COPY --from=build /app/.adminjs ./.adminjs
USER node
EXPOSE 8010
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:8010/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Not in NODE_OPTIONS, which refuses it: why, in docs/operations.md.
CMD ["node", "--no-allocation-site-pretenuring", "dist/server/main.js"]
