using Xunit;

namespace Poppy.Portal.E2E.Tests.Infrastructure;

/// <summary>One host process and one browser shared by every browser test (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalProcess>, ICollectionFixture<ChromiumBrowser>
{
    public const string Name = "Portal in Chromium";
}
