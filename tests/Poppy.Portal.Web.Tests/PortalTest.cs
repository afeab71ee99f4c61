namespace Poppy.Portal.Web.Tests;

/// <summary>A test class with its own portal (fresh SQLite database) per test.</summary>
public abstract class PortalTest : IAsyncLifetime
{
    protected PortalFactory Portal { get; } = new();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Portal.DisposeAsync();
}
