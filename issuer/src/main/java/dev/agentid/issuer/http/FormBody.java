package dev.agentid.issuer.http;

import io.vertx.core.Handler;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;

/**
 * The body step of the form endpoints (token, introspection, revocation): the raw body, read once, at most
 * {@code limit} bytes, and not decoded. Vert.x's BodyHandler also hands every form body to Netty's form decoder, whose
 * result nothing reads: {@link Forms#requireForm} decodes the form once, with the Nimbus SDK's decoder, and the SDK's
 * parsers get that map ({@link Forms#toNimbus}).
 *
 * <p>Otherwise as BodyHandler: a declared {@code Content-Length} over the limit, or more bytes than the limit however
 * they arrive, fails the route with 413 (T03); {@code Expect: 100-continue} is answered, any other expectation is 417;
 * a request without a body ({@code Content-Length} absent, not chunked) goes on without one.
 */
final class FormBody implements Handler<RoutingContext> {

    private final long limit;

    FormBody(long limit) {
        this.limit = limit;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        long declared = contentLength(request);
        boolean streamed = request.version() == HttpVersion.HTTP_2
                || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
        if (!streamed && declared == -1) {
            ctx.next();
            return;
        }
        if (declared > limit) {
            ctx.fail(413);
            return;
        }
        String expect = request.getHeader(HttpHeaders.EXPECT);
        if (expect != null) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                ctx.fail(417);
                return;
            }
            if (request.version() != HttpVersion.HTTP_1_0) {
                ctx.response().writeContinue();
            }
        }
        if (request.isEnded()) {
            ctx.fail(new VertxException("the form body step must run before the request has ended", true));
            return;
        }
        Reader reader = new Reader(ctx, declared > 0 ? (int) declared : 256);
        request.handler(reader).endHandler(v -> reader.end()).resume();
    }

    private static long contentLength(HttpServerRequest request) {
        String value = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            long length = Long.parseLong(value);
            return length < 0 ? -1 : length;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private final class Reader implements Handler<Buffer> {
        private final RoutingContext ctx;
        private final Buffer body;
        private long size;
        private boolean failed;

        Reader(RoutingContext ctx, int initialSize) {
            this.ctx = ctx;
            this.body = Buffer.buffer(initialSize);
        }

        @Override
        public void handle(Buffer chunk) {
            if (failed) {
                return;
            }
            size += chunk.length();
            if (size > limit) {
                failed = true;
                ctx.fail(413);
                return;
            }
            body.appendBuffer(chunk);
        }

        void end() {
            if (failed || ctx.failed()) {
                return;
            }
            ((RoutingContextInternal) ctx).setBody(body);
            ctx.next();
        }
    }
}
