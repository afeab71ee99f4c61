using AngleSharp.Dom;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Poppy.Portal.Core.Features.Projects;
using Poppy.Portal.Web.Components.Layout;
using Poppy.Portal.Web.Components.Shared;

namespace Poppy.Portal.Web.Tests.Components;

/// <summary>Components rendered with the framework's HtmlRenderer (bUnit is not available here), asserted with AngleSharp.</summary>
public sealed class ComponentRenderingTests : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly HtmlRenderer renderer;

    public ComponentRenderingTests()
    {
        services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<AntiforgeryStateProvider>(new FixedAntiforgeryState())
            .AddSingleton<NavigationManager>(new FixedNavigation())
            .BuildServiceProvider();
        renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);
    }

    [Fact]
    public async Task An_error_list_renders_nothing_without_errors_and_every_message_with_them()
    {
        var none = await RenderAsync<ErrorList>(new() { [nameof(ErrorList.Errors)] = Array.Empty<string>() });
        var two = await RenderAsync<ErrorList>(new() { [nameof(ErrorList.Errors)] = new[] { "Name: too long.", "<b>escaped</b>" } });

        Assert.Null(none.QuerySelector(".alert"));
        Assert.Equal(["Name: too long.", "<b>escaped</b>"], two.QuerySelectorAll("li").Select(li => li.TextContent));
        Assert.Null(two.QuerySelector("li b"));
    }

    private async Task<IDocument> RenderAsync<TComponent>(Dictionary<string, object?> parameters) where TComponent : IComponent
    {
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
            (await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters))).ToHtmlString());
        return PortalClient.Parse(html);
    }

    public async ValueTask DisposeAsync()
    {
        await renderer.DisposeAsync();
        await services.DisposeAsync();
    }

    /// <summary>The page the components believe they are on (NavLink needs one).</summary>
    private sealed class FixedNavigation : NavigationManager
    {
        public FixedNavigation() => Initialize("http://localhost/", "http://localhost/services");
    }

    /// <summary>Supplies the token the AntiforgeryToken component renders, as the server would for a request.</summary>
    private sealed class FixedAntiforgeryState : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("test-token", "__RequestVerificationToken");
    }
}
