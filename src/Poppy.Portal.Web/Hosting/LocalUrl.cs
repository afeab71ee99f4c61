namespace Poppy.Portal.Web.Hosting;

/// <summary>Keeps return URLs on this site, so a crafted link cannot bounce a user elsewhere after sign-in.</summary>
public static class LocalUrl
{
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url)
        && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Contains("://", StringComparison.Ordinal)
        // Browsers drop tabs and newlines inside URLs ("/\t/evil.example" is "//evil.example"), and a redirect cannot carry them.
        && !url.Any(char.IsControl);

    public static string OrRoot(string? url) => IsLocal(url) ? url! : "/";
}
