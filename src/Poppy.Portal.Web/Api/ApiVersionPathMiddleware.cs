namespace Poppy.Portal.Web.Api;

/// <summary>
/// Poppy accepted a numeric tenant segment after the version (<c>/v1.0/123/services</c> is <c>/v1.0/services</c>);
/// clients built that way keep working. The tenant itself always comes from X-Project-ID.
/// </summary>
public sealed class ApiVersionPathMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        const string prefix = PoppyApiEndpoints.Prefix + "/";
        if (path.StartsWith(prefix, StringComparison.Ordinal))
        {
            var rest = path.AsSpan(prefix.Length);
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (segment.Length > 0 && !segment.ContainsAnyExcept("0123456789"))
            {
                context.Request.Path = PoppyApiEndpoints.Prefix + (slash < 0 ? "" : rest[slash..].ToString());
            }
        }
        return next(context);
    }
}
