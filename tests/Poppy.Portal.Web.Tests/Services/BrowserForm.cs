using System.Net;
using AngleSharp.Html.Dom;

namespace Poppy.Portal.Web.Tests.Services;

/// <summary>
/// A form as a browser would submit it: every named input, select and textarea with its current value (checked boxes
/// only), then the clicked button's name and value. Tests change fields by name and submit, like a user.
/// </summary>
public sealed class BrowserForm
{
    private readonly List<KeyValuePair<string, string>> values;

    private BrowserForm(string action, List<KeyValuePair<string, string>> values)
    {
        Action = action;
        this.values = values;
    }

    public string Action { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Values => values;

    public static BrowserForm From(IHtmlDocument page, string selector)
    {
        var form = page.QuerySelector<IHtmlFormElement>(selector) ?? throw new InvalidOperationException($"No form {selector} on the page.");
        var fields = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            switch (element)
            {
                case IHtmlInputElement input when !string.IsNullOrEmpty(input.Name) && input.Type is not ("submit" or "button" or "image"):
                    if (input.Type is "checkbox" or "radio" && !input.IsChecked)
                    {
                        break;
                    }
                    fields.Add(new(input.Name!, input.Value));
                    break;
                case IHtmlSelectElement select when !string.IsNullOrEmpty(select.Name):
                    var selected = select.Options.FirstOrDefault(o => o.IsSelected) ?? select.Options.FirstOrDefault();
                    if (selected is not null)
                    {
                        fields.Add(new(select.Name!, selected.Value));
                    }
                    break;
                case IHtmlTextAreaElement area when !string.IsNullOrEmpty(area.Name):
                    fields.Add(new(area.Name!, area.Value));
                    break;
            }
        }
        return new BrowserForm(form.GetAttribute("action") ?? "", fields);
    }

    public string? this[string name] => values.FirstOrDefault(v => v.Key == name).Value;

    /// <summary>Sets a field (adds it if the page did not have it, e.g. a checkbox being ticked).</summary>
    public BrowserForm Set(string name, string value)
    {
        var index = values.FindIndex(v => v.Key == name);
        if (index >= 0)
        {
            values[index] = new(name, value);
        }
        else
        {
            values.Add(new(name, value));
        }
        return this;
    }

    /// <summary>Unticks a checkbox (an unticked box posts nothing).</summary>
    public BrowserForm Remove(string name)
    {
        values.RemoveAll(v => v.Key == name);
        return this;
    }

    /// <summary>Posts the form as if the button with this name and value was clicked.</summary>
    public Task<HttpResponseMessage> SubmitAsync(PortalClient client, string buttonName, string buttonValue) =>
        client.PostAsync(Action, values.Append(new(buttonName, buttonValue)));

    /// <summary>Posts with the button and expects the form back (200), parsed.</summary>
    public async Task<IHtmlDocument> SubmitForPageAsync(PortalClient client, string buttonName, string buttonValue)
    {
        using var response = await SubmitAsync(client, buttonName, buttonValue);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {Action} answered {(int)response.StatusCode}: {html}");
        return PortalClient.Parse(html);
    }
}
