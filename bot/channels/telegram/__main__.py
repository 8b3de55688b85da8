import sys

from bot.channels.telegram.bot import main

sys.exit(main())
