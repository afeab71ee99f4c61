using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Poppy.Portal.Web.Tests;

/// <summary>An HttpClient that behaves like a browser posting the portal's forms: it reads the page, keeps the antiforgery token.</summary>
public sealed class PortalClient(HttpClient http) : IDisposable
{
    private static readonly HtmlParser Parser = new();

    public HttpClient Http => http;

    public async Task<IHtmlDocument> GetPageAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}");
        return Parser.ParseDocument(await response.Content.ReadAsStringAsync());
    }

    public static IHtmlDocument Parse(string html) => Parser.ParseDocument(html);

    /// <summary>The validation messages shown in the same form group as the named input, joined with " | ".</summary>
    public static string MessagesNextTo(IHtmlDocument page, string inputName) =>
        string.Join(" | ", page.QuerySelector($"[name='{inputName}']")!.ParentElement!.QuerySelectorAll(".invalid-feedback").Select(e => e.TextContent));

    /// <summary>
    /// Loads <paramref name="pagePath"/>, takes the named form (by its _handler, or the first form) with its hidden fields,
    /// overrides the given fields and posts it to the form's action.
    /// </summary>
    public async Task<HttpResponseMessage> SubmitFormAsync(string pagePath, IDictionary<string, string> fields, string? formName = null)
    {
        var page = await GetPageAsync(pagePath);
        var form = page.Forms.FirstOrDefault(f => formName is null
                       || f.QuerySelector($"input[name=_handler][value='{formName}']") is not null
                       || f.GetAttribute("action") == formName)
                   ?? throw new InvalidOperationException($"No form '{formName}' on {pagePath}.");
        var values = form.QuerySelectorAll<IHtmlInputElement>("input[type=hidden]")
            .Select(i => new KeyValuePair<string, string>(i.Name!, i.Value)).ToList();
        values.RemoveAll(v => fields.ContainsKey(v.Key));
        values.AddRange(fields);
        var action = form.GetAttribute("action") is { Length: > 0 } a ? a : pagePath;
        return await PostAsync(action, values);
    }

    public async Task<HttpResponseMessage> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> values)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(values) };
        request.Headers.Accept.ParseAdd("text/html");
        return await http.SendAsync(request);
    }

    /// <summary>A form post with a valid antiforgery token taken from any signed-in page.</summary>
    public async Task<HttpResponseMessage> PostWithTokenAsync(string path, IDictionary<string, string>? fields = null)
    {
        var token = await AntiforgeryTokenAsync();
        var values = new List<KeyValuePair<string, string>> { new("__RequestVerificationToken", token) };
        values.AddRange(fields ?? new Dictionary<string, string>());
        return await PostAsync(path, values);
    }

    public async Task<string> AntiforgeryTokenAsync(string page = "/account/password")
    {
        var document = await GetPageAsync(page);
        return document.QuerySelector<IHtmlInputElement>("input[name=__RequestVerificationToken]")!.Value;
    }

    public async Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        await SubmitFormAsync("/account/login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password }, "login");

    public async Task SignInOrFailAsync(string email, string password)
    {
        using var response = await SignInAsync(email, password);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect,
            $"Sign-in of {email} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => http.Dispose();
}
