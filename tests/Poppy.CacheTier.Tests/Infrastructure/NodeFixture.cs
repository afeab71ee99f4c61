using Poppy.Portal.TestSupport.CacheTier;

namespace Poppy.CacheTier.Tests.Infrastructure;

/// <summary>One node shared by the tests of the <see cref="NodeCollection"/> (each test uses its own services and domains).
/// Its country database puts 127.0.0.0/8 in France.</summary>
public sealed class NodeFixture : IAsyncLifetime
{
    public TestNode Node { get; private set; } = null!;

    public async Task InitializeAsync() => Node = await TestNode.StartAsync(countryRanges: "127.0.0.0/8 FR;\n");

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class NodeCollection : ICollectionFixture<NodeFixture>
{
    public const string Name = "cache node";
}
