import CNCurses
import Glibc

/// The ncurses screen: set up in raw, non-blocking mode with colours; always restored.
final class Terminal {
    static let colors: [Int16] = [Int16(COLOR_RED), Int16(COLOR_GREEN), Int16(COLOR_YELLOW), Int16(COLOR_BLUE), Int16(COLOR_MAGENTA), Int16(COLOR_CYAN)]

    init() {
        setlocale(LC_ALL, "")
        initscr()
        raw()
        noecho()
        keypad(zinc_stdscr(), true)
        wtimeout(zinc_stdscr(), 30)
        if has_colors() {
            start_color()
            use_default_colors()
            for (index, color) in Self.colors.enumerated() {
                init_pair(Int16(index + 1), Int16(COLOR_BLACK), color)        // remote cursors
                init_pair(Int16(index + 11), color, -1)                       // names
            }
            init_pair(20, Int16(COLOR_BLACK), Int16(COLOR_WHITE))             // status line
        }
        controlHome = zinc_extended_key("kHOM5")
        controlEnd = zinc_extended_key("kEND5")
    }

    /// Ctrl-Home and Ctrl-End have no fixed codes: ncurses assigns them per terminal.
    private var controlHome: Int32 = 0
    private var controlEnd: Int32 = 0

    func restore() { endwin() }

    var rows: Int { Int(zinc_lines()) }
    var columns: Int { Int(zinc_columns()) }

    enum Key: Equatable {
        case character(Character)
        case left, right, up, down, home, end, pageUp, pageDown, backspace, delete, enter
        /// Ctrl-Home and Ctrl-End: the start and the end of the document.
        case documentStart, documentEnd
        case control(UInt32)
        case resize
    }

    /// The next key, or nil if none arrived within the timeout.
    func readKey() -> Key? {
        var isFunction: Int32 = 0
        var value: UInt32 = 0
        guard zinc_read_key(&isFunction, &value) == 0 else { return nil }
        if isFunction != 0 {
            switch Int32(value) {
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_BACKSPACE: return .backspace
            case KEY_DC: return .delete
            case KEY_ENTER: return .enter
            case KEY_RESIZE: return .resize
            case let code where code != 0 && code == controlHome: return .documentStart
            case let code where code != 0 && code == controlEnd: return .documentEnd
            default: return nil
            }
        }
        switch value {
        case 10, 13: return .enter
        case 127, 8: return .backspace
        case 9: return .character("\t")
        case 0..<32: return .control(value)
        default: return Unicode.Scalar(value).map { .character(Character($0)) }
        }
    }

    func clear() { werase(zinc_stdscr()) }

    func put(_ text: String, row: Int, column: Int, attributes: Int32 = 0) {
        guard row >= 0, row < rows, column >= 0, column < columns else { return }
        if attributes != 0 { wattron(zinc_stdscr(), attributes) }
        mvwaddstr(zinc_stdscr(), Int32(row), Int32(column), text)
        if attributes != 0 { wattroff(zinc_stdscr(), attributes) }
    }

    func moveCursor(row: Int, column: Int) { wmove(zinc_stdscr(), Int32(row), Int32(column)) }
    func refresh() { wrefresh(zinc_stdscr()) }

    static func pair(_ index: Int) -> Int32 { zinc_color_pair(Int32(index)) }
}
