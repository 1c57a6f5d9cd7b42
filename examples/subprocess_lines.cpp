// Mirrors asyncio's subprocess example (reading a child's output line by
// line):
//
//     async def main():
//         proc = await asyncio.create_subprocess_exec(
//             'printf', 'one\ntwo\nthree\n', stdout=asyncio.subprocess.PIPE)
//         number = 0
//         while line := await proc.stdout.readline():
//             number += 1
//             print(f'{number}: {line.decode().rstrip()}')
//         status = await proc.wait()
//         print(f'exited with {status}')
//
//         proc = await asyncio.create_subprocess_shell(
//             'echo "to stdout"; echo "to stderr" >&2; exit 3',
//             stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
//         out, err = await proc.communicate()
//         print(f'stdout: {out.decode().rstrip()}, stderr: {err.decode().rstrip()}, '
//               f'returncode: {proc.returncode}')
//
//     asyncio.run(main())
#include "example_unit.hpp"

#include <weft/weft.hpp>

#include <string>
#include <vector>

std::string without_newline(std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

weft::coro<> async_main() {
    // g++ 12 cannot compile a braced list of strings inside a co_await
    // expression: the arguments are built first.
    std::vector<std::string> args = {"one\ntwo\nthree\n"};
    weft::process proc = co_await weft::create_subprocess_exec("printf", args, {.stdout_ = weft::pipe});
    int number = 0;
    for (;;) {
        std::string line = co_await proc.stdout_.readline();
        if (line.empty()) break;  // end of the child's output
        ++number;
        example::println(number, ": ", without_newline(line));
    }
    const int status = co_await proc.wait();
    example::println("exited with ", status);

    weft::process shell = co_await weft::create_subprocess_shell(
        "echo 'to stdout'; echo 'to stderr' >&2; exit 3", {.stdout_ = weft::pipe, .stderr_ = weft::pipe});
    weft::communicate_result result = co_await shell.communicate();
    example::println("stdout: ", without_newline(result.stdout_data), ", stderr: ",
                     without_newline(result.stderr_data), ", returncode: ", *shell.returncode());
}

int main() {
    weft::run(async_main());
}
