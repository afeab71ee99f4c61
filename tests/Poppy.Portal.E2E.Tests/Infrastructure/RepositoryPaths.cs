namespace Poppy.Portal.E2E.Tests.Infrastructure;

/// <summary>Where the repository and the test artifacts live, found from the test assembly's folder.</summary>
public static class RepositoryPaths
{
    private const string SolutionFile = "Poppy.Portal.sln";

    private static readonly Lazy<string> root = new(FindRoot);

    /// <summary>The folder holding Poppy.Portal.sln.</summary>
    public static string Root => root.Value;

    /// <summary><c>&lt;repo&gt;/artifacts/e2e</c> (git-ignored), created on first use.</summary>
    public static string E2EArtifacts
    {
        get
        {
            var folder = Path.Combine(Root, "artifacts", "e2e");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public static string Artifact(string fileName) => Path.Combine(E2EArtifacts, fileName);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, SolutionFile)))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No {SolutionFile} in {AppContext.BaseDirectory} or any folder above it.");
    }
}
