# syntax=docker/dockerfile:1
# Placeholder dashboard until the management UI exists: a static page and GET /health on port
# 4173, served by nginx as an unprivileged user. Replace when the UI ships its own image.
FROM nginx:1.27-alpine AS runtime
COPY docker/dashboard/nginx.conf /etc/nginx/conf.d/default.conf
COPY docker/dashboard/index.html /usr/share/nginx/html/index.html
RUN sed -i 's/^user /# user /' /etc/nginx/nginx.conf \
    && sed -i 's#^pid .*#pid /tmp/nginx.pid;#' /etc/nginx/nginx.conf \
    && chown -R nginx:nginx /var/cache/nginx
USER nginx
EXPOSE 4173
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["wget", "-qO-", "http://127.0.0.1:4173/health"]
