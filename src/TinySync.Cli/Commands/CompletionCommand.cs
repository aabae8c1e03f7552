using System.CommandLine;

namespace TinySync.Cli;

/// <summary>
/// <c>tinysync completion bash|zsh|fish</c>: a script that asks tinysync itself for completions through
/// System.CommandLine's <c>[suggest:N]</c> directive, so commands, options and values never go stale (decision 0434).
/// </summary>
internal static class CompletionCommand
{
    public static Command Build()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var cmd = new Command("completion", "Print a shell completion script: `source <(tinysync completion bash)` in ~/.bashrc, see docs/client.md for zsh and fish") { shell };
        cmd.SetAction(p =>
        {
            Console.Out.Write(p.GetValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => Fish,
            });
            return ExitCodes.Ok;
        });
        return cmd;
    }

    const string Bash = """
        # tinysync completion for bash; load with: source <(tinysync completion bash)
        _tinysync_complete() {
            local IFS=$'\n'
            local line="${COMP_LINE:0:COMP_POINT}"
            COMPREPLY=($(compgen -W "$(tinysync "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _tinysync_complete tinysync

        """;

    const string Zsh = """
        #compdef tinysync
        # tinysync completion for zsh; load with: source <(tinysync completion zsh)   (after compinit)
        _tinysync() {
            local line="${BUFFER[1,CURSOR]}"
            local -a candidates
            candidates=("${(@f)$(tinysync "[suggest:${#line}]" "$line" 2>/dev/null)}")
            compadd -- "${candidates[@]}"
        }
        compdef _tinysync tinysync

        """;

    const string Fish = """
        # tinysync completion for fish; load with: tinysync completion fish | source
        function __tinysync_complete
            set -l line (commandline -cp)
            tinysync "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
        end
        complete -c tinysync -f -a '(__tinysync_complete)'

        """;
}
