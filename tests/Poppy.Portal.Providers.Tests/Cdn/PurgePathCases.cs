namespace Poppy.Portal.Providers.Tests.Cdn;

/// <summary>
/// Purge paths that a URL parser shortens into another host's or another path's objects (Fastly's driver built
/// <c>purge/{domain}{url}</c>, and <c>..</c> collapsed into <c>purge/www.victim.example/page.html</c>). Every driver
/// must refuse them before it sends anything, whoever called it.
/// </summary>
public static class PurgePathCases
{
    public static TheoryData<string> LeavingTheService() =>
    [
        "/../www.victim.example/page.html",
        "/%2e%2e/www.victim.example/page.html",
        "/%2E%2E/www.victim.example/page.html",
        "/%252e%252e/www.victim.example/page.html",
        "/images/..%2f..%2fwww.victim.example/page.html",
        "/images/..\\..\\www.victim.example/page.html",
        "../www.victim.example/page.html",
        "//www.victim.example/page.html",
        "/./../www.victim.example/page.html",
        "/..;/www.victim.example/page.html",
        "/page.html\r\nHost: www.victim.example",
    ];
}
