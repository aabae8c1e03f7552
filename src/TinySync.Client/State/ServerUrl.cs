namespace TinySync.Client.State;

/// <summary>Checks a server URL typed by a user before anything is sent or saved.</summary>
public static class ServerUrl
{
    /// <summary>
    /// The URL with one trailing slash, or a <see cref="ClientException"/> ("bad_server_url") that shows the fix, e.g.
    /// <c>127.0.0.1:5000</c> → "write it with its scheme: http://127.0.0.1:5000".
    /// </summary>
    public static string Normalize(string text)
    {
        var trimmed = text.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host))
        {
            if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
                throw new ClientException("bad_server_url", $"the server URL '{trimmed}' has a query or fragment; give only the server's address, e.g. {uri.GetLeftPart(UriPartial.Path)}");
            return uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";
        }
        if (!trimmed.Contains("://", StringComparison.Ordinal) && Uri.TryCreate("http://" + trimmed, UriKind.Absolute, out var guess) && !string.IsNullOrEmpty(guess.Host))
            throw new ClientException("bad_server_url", $"'{trimmed}' is not a server URL: write it with its scheme, e.g. --server http://{trimmed.TrimEnd('/')} (or https:// when the server has TLS)");
        throw new ClientException("bad_server_url", $"'{trimmed}' is not a server URL; give it as http://HOST:PORT or https://HOST:PORT");
    }
}
