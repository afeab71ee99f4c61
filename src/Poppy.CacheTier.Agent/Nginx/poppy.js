// Poppy cache tier: what stock nginx cannot compute, in njs. Written by Poppy.CacheTier.Agent; edits are overwritten.

// The Age header. A cached answer keeps the origin's Date header (nginx stores the origin's headers with the body), so
// its age is now minus that Date; an answer fetched for this request is 0 seconds old.
function age(r) {
    var status = r.variables.upstream_cache_status;
    if (status !== 'HIT' && status !== 'STALE' && status !== 'UPDATING') {
        return '0';
    }
    var date = Date.parse(r.variables.upstream_http_date || '');
    if (isNaN(date)) {
        return '';
    }
    var seconds = Math.floor((Date.now() - date) / 1000);
    return String(seconds < 0 ? 0 : seconds);
}

// The X-Poppy-Pad header of the origin side (the unix socket server between the cache and the origin): a value of the
// length that makes the cached body start on a page boundary. A cache file is nginx's binary header, "\nKEY: {key}\n",
// the response header exactly as the origin side sends it, then the body; a body at an unaligned offset costs the
// client about half again as much CPU to receive when sent with sendfile (bench/cache-tier/README.md). So this adds up
// the bytes nginx is about to write for this response's header, as its header filter writes them: the status line, the
// headers of the list, Content-Type, Content-Length or chunked, Connection; the cache strips the header again.
// A guess that misses (an origin's own reason phrase, say) only leaves that one body unaligned.
var CACHE_FILE_HEADER = 336; // sizeof(ngx_http_file_cache_header_t), version 5, 64-bit
var PAGE = 4096;
var HEADER_LIMIT = 8192; // the whole stored header must fit the cache's proxy_buffer_size (12k) with room to spare
var PAD = 'X-Poppy-Pad';
var REASONS = {
    200: 'OK', 201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
    206: 'Partial Content', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
    304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
    403: 'Forbidden', 404: 'Not Found', 410: 'Gone', 500: 'Internal Server Error', 502: 'Bad Gateway',
    503: 'Service Unavailable', 504: 'Gateway Timeout'
};

function bytes(value) {
    return value === undefined || value === null ? 0 : Buffer.byteLength(String(value));
}

function pad(r) {
    // The cache key is $host$uri$is_args$args, and this server sees the same request line and Host as the cache.
    var v = r.rawVariables;
    var key = v.host.length + v.uri.length + (v.args && v.args.length ? 1 + v.args.length : 0);
    var start = CACHE_FILE_HEADER + '\nKEY: '.length + key + '\n'.length;

    var header = 'HTTP/1.1 '.length + String(r.status).length + 1 + bytes(REASONS[r.status]) + 2;
    var raw = r.rawHeadersOut;
    for (var i = 0; i < raw.length; i++) {
        header += bytes(raw[i][0]) + 2 + bytes(raw[i][1]) + 2;
    }
    var type = r.headersOut['Content-Type'];
    if (type !== undefined) {
        header += 'Content-Type: '.length + bytes(type) + 2;
    }
    var length = r.headersOut['Content-Length'];
    if (length !== undefined) {
        header += 'Content-Length: '.length + bytes(length) + 2;
    } else if (r.status !== 204 && r.status !== 304 && r.method !== 'HEAD') {
        header += 'Transfer-Encoding: chunked\r\n'.length;
    }
    header += 'Connection: keep-alive\r\n'.length + 2;

    var line = (PAGE - (start + header) % PAGE) % PAGE; // "X-Poppy-Pad: {value}\r\n"
    if (line < PAD.length + 5) {
        line += PAGE;
    }
    if (start + header + line > HEADER_LIMIT) {
        return '';
    }
    return 'x'.repeat(line - PAD.length - 4);
}

export default { age, pad };
