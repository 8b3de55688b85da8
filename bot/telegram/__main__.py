import sys

from bot.telegram.bot import main

sys.exit(main())
