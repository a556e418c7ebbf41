namespace Dfid.Corpus;

/// <summary>Names and limits of the <c>dfid.corpus/1</c> format (see <c>docs/corpus-format.md</c>).</summary>
public static class CorpusFormat
{
    /// <summary>The format name and version.</summary>
    public const string Name = "dfid.corpus/1";

    /// <summary>Role names as written in the file.</summary>
    public static string RoleName(Role role) => role switch
    {
        Role.Agent => "agent",
        Role.User => "user",
        Role.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>Parses a role name (<c>agent</c>, <c>user</c>, <c>system</c>; exact, lower case).</summary>
    /// <returns><c>true</c> when <paramref name="name"/> is a known role.</returns>
    public static bool TryParseRole(string? name, out Role role)
    {
        switch (name)
        {
            case "agent": role = Role.Agent; return true;
            case "user": role = Role.User; return true;
            case "system": role = Role.System; return true;
            default: role = default; return false;
        }
    }
}
