from ..gan import GanTrainer as RemoteTrainer  # TEMP, not committed
