using Poppy.Portal.Core.Features.Audit;

namespace Poppy.Portal.Core.Tests.Audit;

public sealed class AuditDiffTests
{
    [Fact]
    public void Nested_objects_are_compared_leaf_by_leaf_in_document_order()
    {
        var diff = AuditDiff.Compare(
            """{"name":"site","origin":{"host":"a.example","port":80,"tls":{"enabled":false}}}""",
            """{"name":"site","origin":{"host":"b.example","port":80,"tls":{"enabled":true}}}""");

        Assert.Equal(
        [
            new AuditDiffLine("name", AuditChange.Unchanged, "\"site\"", "\"site\""),
            new AuditDiffLine("origin.host", AuditChange.Changed, "\"a.example\"", "\"b.example\""),
            new AuditDiffLine("origin.port", AuditChange.Unchanged, "80", "80"),
            new AuditDiffLine("origin.tls.enabled", AuditChange.Changed, "false", "true"),
        ], diff);
    }

    [Fact]
    public void A_grown_array_adds_its_new_items()
    {
        var diff = AuditDiff.Compare(
            """{"domains":[{"domain":"a.example"}]}""",
            """{"domains":[{"domain":"a.example"},{"domain":"b.example","protocol":"https"}]}""");

        Assert.Equal(
        [
            new AuditDiffLine("domains[0].domain", AuditChange.Unchanged, "\"a.example\"", "\"a.example\""),
            new AuditDiffLine("domains[1].domain", AuditChange.Added, null, "\"b.example\""),
            new AuditDiffLine("domains[1].protocol", AuditChange.Added, null, "\"https\""),
        ], diff);
    }

    [Fact]
    public void A_shrunk_array_removes_its_last_items_where_they_were()
    {
        var diff = AuditDiff.Compare(
            """{"projects":["alpha","beta","gamma"],"role":"Viewer"}""",
            """{"projects":["alpha"],"role":"Viewer"}""");

        Assert.Equal(
        [
            new AuditDiffLine("projects[0]", AuditChange.Unchanged, "\"alpha\"", "\"alpha\""),
            new AuditDiffLine("projects[1]", AuditChange.Removed, "\"beta\"", null),
            new AuditDiffLine("projects[2]", AuditChange.Removed, "\"gamma\"", null),
            new AuditDiffLine("role", AuditChange.Unchanged, "\"Viewer\"", "\"Viewer\""),
        ], diff);
    }

    [Fact]
    public void An_array_that_becomes_empty_shows_the_empty_array()
    {
        var diff = AuditDiff.Compare("""{"projects":["alpha"]}""", """{"projects":[]}""");

        Assert.Equal(
        [
            new AuditDiffLine("projects[0]", AuditChange.Removed, "\"alpha\"", null),
            new AuditDiffLine("projects", AuditChange.Added, null, "[]"),
        ], diff);
    }

    [Theory]
    [InlineData("""{"limit":"5"}""", """{"limit":5}""", "\"5\"", "5")]
    [InlineData("""{"limit":null}""", """{"limit":false}""", "null", "false")]
    [InlineData("""{"limit":{}}""", """{"limit":[]}""", "{}", "[]")]
    public void A_value_that_changes_type_is_a_change(string before, string after, string oldValue, string newValue)
    {
        Assert.Equal([new AuditDiffLine("limit", AuditChange.Changed, oldValue, newValue)], AuditDiff.Compare(before, after));
    }

    [Fact]
    public void A_scalar_that_becomes_an_object_is_removed_and_its_fields_added()
    {
        var diff = AuditDiff.Compare("""{"limit":5}""", """{"limit":{"max":5,"unit":"rps"}}""");

        Assert.Equal(
        [
            new AuditDiffLine("limit", AuditChange.Removed, "5", null),
            new AuditDiffLine("limit.max", AuditChange.Added, null, "5"),
            new AuditDiffLine("limit.unit", AuditChange.Added, null, "\"rps\""),
        ], diff);
    }

    [Fact]
    public void No_before_means_everything_was_added_and_no_after_means_everything_was_removed()
    {
        const string snapshot = """{"email":"a@test.local","projects":["alpha"],"disabled":false}""";

        var created = AuditDiff.Compare(null, snapshot);
        var deleted = AuditDiff.Compare(snapshot, null);

        Assert.Equal(["email", "projects[0]", "disabled"], created.Select(l => l.Path));
        Assert.All(created, l => Assert.Equal((AuditChange.Added, (string?)null), (l.Change, l.Before)));
        Assert.Equal(["email", "projects[0]", "disabled"], deleted.Select(l => l.Path));
        Assert.All(deleted, l => Assert.Equal((AuditChange.Removed, (string?)null), (l.Change, l.After)));
        Assert.Empty(AuditDiff.Compare(null, null));
    }

    [Fact]
    public void A_field_that_only_the_before_had_first_stays_first()
    {
        var diff = AuditDiff.Compare("""{"old":1,"kept":2}""", """{"kept":2,"new":3}""");

        Assert.Equal(["old", "kept", "new"], diff.Select(l => l.Path));
        Assert.Equal([AuditChange.Removed, AuditChange.Unchanged, AuditChange.Added], diff.Select(l => l.Change));
    }

    [Fact]
    public void Odd_names_are_bracketed_and_equal_strings_in_different_escapes_are_unchanged()
    {
        var diff = AuditDiff.Compare("""{"a.b":"caf\u00e9","headers":{"X-Cache":"HIT"}}""", """{"a.b":"café","headers":{"X-Cache":"MISS"}}""");

        Assert.Equal(
        [
            new AuditDiffLine("[\"a.b\"]", AuditChange.Unchanged, "\"café\"", "\"café\""),
            new AuditDiffLine("headers.X-Cache", AuditChange.Changed, "\"HIT\"", "\"MISS\""),
        ], diff);
    }

    [Fact]
    public void A_snapshot_that_is_one_value_or_not_json_at_all_is_one_line()
    {
        Assert.Equal([new AuditDiffLine(AuditDiff.RootPath, AuditChange.Changed, "1", "2")], AuditDiff.Compare("1", "2"));
        Assert.Equal([new AuditDiffLine(AuditDiff.RootPath, AuditChange.Added, null, "\"not json {\"")], AuditDiff.Compare(null, "not json {"));
    }

    [Fact]
    public void A_root_array_uses_index_paths()
    {
        var diff = AuditDiff.Compare("""[{"id":1}]""", """[{"id":1},{"id":2}]""");

        Assert.Equal(["[0].id", "[1].id"], diff.Select(l => l.Path));
        Assert.Equal([AuditChange.Unchanged, AuditChange.Added], diff.Select(l => l.Change));
    }
}
