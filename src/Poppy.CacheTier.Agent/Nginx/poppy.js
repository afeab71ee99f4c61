// Poppy cache tier: the Age header, which stock nginx cannot compute. A cached answer keeps the origin's Date header
// (nginx stores the origin's headers with the body), so its age is now minus that Date; an answer fetched for this
// request is 0 seconds old. Written by Poppy.CacheTier.Agent; edits are overwritten.
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

export default { age };
